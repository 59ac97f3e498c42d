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

static void json_escaped(struct json *j, const char *s)
{
	const unsigned char *c;

	fputc('"', j->out);
	for (c = (const unsigned char *)s; *c; c++) {
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
