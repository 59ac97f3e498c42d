// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp-fexit OBJECT FUNCTION FILE: attach an empty BPF fexit program
 * to FUNCTION of OBJECT (vmlinux or a module), an ftrace user that shares
 * the function's call site through a BPF trampoline.  Once attached, and
 * then every 20 ms, write to FILE how many times the program ran.  On
 * SIGTERM or SIGINT, detach and exit 0.  Errors exit 1 with a message.
 *
 * No libbpf: the program is two instructions, loaded and attached with
 * the bpf() system call; the BTF id of FUNCTION comes from
 * /sys/kernel/btf/OBJECT (for a module, split BTF on top of vmlinux's).
 * The run count comes from the kernel's BPF statistics, which the program
 * turns on for as long as it runs (BPF_ENABLE_STATS).
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

struct btf_data {
	unsigned char *raw;
	size_t size;
	const struct btf_header *hdr;
	unsigned int nr_types;	/* types of this file, not of its base */
};

static int read_btf(const char *object, struct btf_data *btf)
{
	char path[256];
	size_t cap = 1 << 20;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", object);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	btf->raw = malloc(cap);
	btf->size = 0;
	while (btf->raw) {
		if (btf->size == cap)
			btf->raw = realloc(btf->raw, cap *= 2);
		if (!btf->raw)
			break;
		n = read(fd, btf->raw + btf->size, cap - btf->size);
		if (n <= 0)
			break;
		btf->size += n;
	}
	close(fd);
	btf->hdr = (const void *)btf->raw;
	if (!btf->raw || btf->size < sizeof(*btf->hdr) ||
	    btf->hdr->magic != BTF_MAGIC ||
	    btf->hdr->hdr_len + (size_t)btf->hdr->str_off +
	    btf->hdr->str_len > btf->size ||
	    btf->hdr->type_off + (size_t)btf->hdr->type_len > btf->hdr->str_off) {
		fprintf(stderr, "%s: not BTF this program reads\n", path);
		return -1;
	}
	return 0;
}

/* The size of a type record, from its kind; 0 for a kind not known here. */
static size_t btf_type_size(const struct btf_type *t)
{
	size_t base = sizeof(*t), vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return base + 4;
	case BTF_KIND_ARRAY:
		return base + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return base + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return base + vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return base + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return base + vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return base + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return base;
	}
	return 0;
}

/*
 * Walk the types of @btf; with @name, return the id of the function of
 * that name (ids of split BTF follow those of its base, @first_id).
 * Count the types in btf->nr_types.  -1 on a malformed file.
 */
static long btf_walk(struct btf_data *btf, unsigned int first_id,
		     size_t base_str_len, const char *name)
{
	const unsigned char *types = btf->raw + btf->hdr->hdr_len + btf->hdr->type_off;
	const char *strs = (const char *)btf->raw + btf->hdr->hdr_len + btf->hdr->str_off;
	size_t off = 0, size;
	const struct btf_type *t;
	long found = 0;

	btf->nr_types = 0;
	while (off < btf->hdr->type_len) {
		t = (const void *)(types + off);
		size = btf_type_size(t);
		if (!size || off + size > btf->hdr->type_len)
			return -1;
		if (name && !found && BTF_INFO_KIND(t->info) == BTF_KIND_FUNC &&
		    t->name_off >= base_str_len &&
		    t->name_off - base_str_len < btf->hdr->str_len &&
		    !strcmp(strs + t->name_off - base_str_len, name))
			found = first_id + btf->nr_types;
		btf->nr_types++;
		off += size;
	}
	return found;
}

/* An fd of the kernel's BTF object named @object, or -1. */
static int btf_object_fd(const char *object)
{
	struct bpf_btf_info info;
	union bpf_attr attr;
	char name[64];
	__u32 id = 0;
	int fd;

	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (sys_bpf(BPF_BTF_GET_NEXT_ID, &attr))
			return -1;
		id = attr.next_id;

		memset(&attr, 0, sizeof(attr));
		attr.btf_id = id;
		fd = sys_bpf(BPF_BTF_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;

		memset(&info, 0, sizeof(info));
		memset(name, 0, sizeof(name));
		info.name = (__u64)(uintptr_t)name;
		info.name_len = sizeof(name);
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (__u64)(uintptr_t)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) && info.kernel_btf &&
		    !strcmp(name, object))
			return fd;
		close(fd);
	}
}

static long run_count(int prog_fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = prog_fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (__u64)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -1;
	return info.run_cnt;
}

static int write_count(const char *file, long count)
{
	char tmp[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", file);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", count);
	if (fclose(f))
		return -1;
	return rename(tmp, file);
}

int main(int argc, char *argv[])
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const char *object, *function, *file;
	struct btf_data vmlinux, split;
	int btf_fd = 0, prog_fd, link_fd, stats_fd;
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	char log[4096] = "";
	sigset_t stop;
	union bpf_attr attr;
	long id;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OBJECT FUNCTION FILE\n", argv[0]);
		return 2;
	}
	object = argv[1];
	function = argv[2];
	file = argv[3];

	/* The function's BTF id. */
	if (read_btf("vmlinux", &vmlinux))
		return 1;
	if (!strcmp(object, "vmlinux")) {
		id = btf_walk(&vmlinux, 1, 0, function);
	} else {
		if (btf_walk(&vmlinux, 1, 0, NULL) < 0 || read_btf(object, &split))
			return 1;
		id = btf_walk(&split, vmlinux.nr_types + 1, vmlinux.hdr->str_len,
			      function);
		btf_fd = btf_object_fd(object);
		if (btf_fd < 0) {
			fprintf(stderr, "no BTF object of %s: %s\n", object,
				strerror(errno));
			return 1;
		}
	}
	if (id <= 0) {
		fprintf(stderr, "%s: %s\n", object,
			id ? "malformed BTF" : "no such function in its BTF");
		return 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	stats_fd = sys_bpf(BPF_ENABLE_STATS, &attr);
	if (stats_fd < 0) {
		perror("BPF_ENABLE_STATS");
		return 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_TRACING;
	attr.expected_attach_type = BPF_TRACE_FEXIT;
	attr.insns = (__u64)(uintptr_t)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (__u64)(uintptr_t)"GPL";
	attr.attach_btf_id = id;
	attr.attach_btf_obj_fd = btf_fd;
	attr.log_buf = (__u64)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	strncpy(attr.prog_name, "klp_fexit", sizeof(attr.prog_name) - 1);
	prog_fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog_fd < 0) {
		fprintf(stderr, "loading fexit of %s:%s: %s\n%s", object, function,
			strerror(errno), log);
		return 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = prog_fd;
	link_fd = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr);
	if (link_fd < 0) {
		fprintf(stderr, "attaching fexit to %s:%s: %s\n", object, function,
			strerror(errno));
		return 1;
	}

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	do {
		if (write_count(file, run_count(prog_fd))) {
			fprintf(stderr, "%s: %s\n", file, strerror(errno));
			return 1;
		}
	} while (sigtimedwait(&stop, NULL, &tick) < 0);
	close(link_fd);
	close(prog_fd);
	close(stats_fd);
	return 0;
}
