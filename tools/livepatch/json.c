// SPDX-License-Identifier: GPL-2.0
/*
 * klpctl: a minimal JSON writer, indented, for the --json output.  The
 * caller opens and closes objects and arrays in order; members of an
 * object have a key, elements of an array pass NULL.
 */
#include <stdio.h>

#include "klpctl.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first = true;
}

/*
 * The length of the valid UTF-8 sequence at @c, or 0.  Names the kernel
 * shows (a task's comm) are bytes that need not be UTF-8.
 */
static int utf8_len(const unsigned char *c)
{
	int n, i;

	if (*c >= 0xc2 && *c <= 0xdf)
		n = 2;
	else if (*c >= 0xe0 && *c <= 0xef)
		n = 3;
	else if (*c >= 0xf0 && *c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((c[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((c[0] == 0xe0 && c[1] < 0xa0) || (c[0] == 0xed && c[1] > 0x9f) ||
	    (c[0] == 0xf0 && c[1] < 0x90) || (c[0] == 0xf4 && c[1] > 0x8f))
		return 0;
	return n;
}

static void json_escaped(struct json *j, const char *s)
{
	const unsigned char *c;
	int n;

	fputc('"', j->out);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c >= 0x80) {
			n = utf8_len(c);
			if (!n) {
				/* Not UTF-8: the replacement character. */
				fputs("\\ufffd", j->out);
				continue;
			}
			fwrite(c, 1, n, j->out);
			c += n - 1;
			continue;
		}
		switch (*c) {
		case '"':
			fputs("\\\"", j->out);
			break;
		case '\\':
			fputs("\\\\", j->out);
			break;
		case '\n':
			fputs("\\n", j->out);
			break;
		case '\t':
			fputs("\\t", j->out);
			break;
		default:
			if (*c < 0x20)
				fprintf(j->out, "\\u%04x", *c);
			else
				fputc(*c, j->out);
		}
	}
	fputc('"', j->out);
}

/* Separator, newline, indentation and key of the next member. */
static void json_member(struct json *j, const char *key)
{
	if (j->depth) {
		fputs(j->first ? "\n" : ",\n", j->out);
		fprintf(j->out, "%*s", 2 * j->depth, "");
	}
	j->first = false;
	if (key) {
		json_escaped(j, key);
		fputs(": ", j->out);
	}
}

/* Open an object ('{') or an array ('['). */
void json_open(struct json *j, const char *key, char brace)
{
	json_member(j, key);
	fputc(brace, j->out);
	j->depth++;
	j->first = true;
}

void json_close(struct json *j, char brace)
{
	bool empty = j->first;

	j->depth--;
	if (!empty)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	fputc(brace, j->out);
	j->first = false;
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_member(j, key);
	json_escaped(j, val);
}

void json_int(struct json *j, const char *key, long long val)
{
	json_member(j, key);
	fprintf(j->out, "%lld", val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_member(j, key);
	fputs(val ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	json_member(j, key);
	fputs("null", j->out);
}

/* After the outermost value. */
void json_end(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}
