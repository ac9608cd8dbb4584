/* bpf-exclusive attach|detach CGROUP_DIR
 *
 * Attaches to CGROUP_DIR a BPF_CGROUP_DEVICE program that allows every device, without
 * BPF_F_ALLOW_MULTI (or detaches it again). The kernel then refuses every multi-attach
 * of a device program below that cgroup, which is how systemd attaches DevicePolicy=:
 * the VM tests use it to make systemd's filter fail to attach to a new scope.
 * Built statically on the host by vm/run.sh; runs as root in the guest. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "attach") && strcmp(argv[1], "detach"))) {
        fprintf(stderr, "usage: bpf-exclusive attach|detach CGROUP_DIR\n");
        return 2;
    }
    int cgroup = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup < 0) {
        perror(argv[2]);
        return 1;
    }
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (!strcmp(argv[1], "detach")) {
        if (bpf(BPF_PROG_DETACH, &attr) < 0) {
            perror("BPF_PROG_DETACH");
            return 1;
        }
        return 0;
    }
    /* r0 = 1 (allow); exit */
    struct bpf_insn insns[2];
    memset(insns, 0, sizeof(insns));
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[0].dst_reg = BPF_REG_0;
    insns[0].imm = 1;
    insns[1].code = BPF_JMP | BPF_EXIT;
    union bpf_attr load;
    memset(&load, 0, sizeof(load));
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)insns;
    load.insn_cnt = 2;
    load.license = (uint64_t)(uintptr_t)"GPL";
    strncpy(load.prog_name, "ssc_test_excl", sizeof(load.prog_name) - 1);
    int prog = bpf(BPF_PROG_LOAD, &load);
    if (prog < 0) {
        perror("BPF_PROG_LOAD");
        return 1;
    }
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_flags = 0;
    if (bpf(BPF_PROG_ATTACH, &attr) < 0) {
        perror("BPF_PROG_ATTACH");
        return 1;
    }
    return 0;
}
