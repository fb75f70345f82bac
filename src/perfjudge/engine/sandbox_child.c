/* perfjudge's per-call sandbox, preloaded (LD_PRELOAD) into the harness interpreter.

   The harness process (the "zygote") never runs sample code; every sample runs in a fork of
   it. This library registers a fork handler that runs in each such child before any Python
   code, so the sample finds itself, from its first instruction, in:
   - its own user, mount and IPC namespaces, with fresh size- and inode-limited tmpfs on
     /tmp, /work and /dev/shm (noexec): nothing it writes reaches the next call, and nothing
     the previous call wrote is there;
   - no capabilities and no_new_privs;
   - a seccomp filter that refuses ptrace and cross-process memory access, namespace and
     mount changes, keyrings, perf counters, BPF, signals and resource limits aimed at other
     processes, and, when PJ_CHILD_POLICY=measure, creating processes (fork, vfork, clone
     without CLONE_THREAD) and running programs (execve kills the process: valgrind cannot
     recover from a refused execve, so both meters end it the same way).
   The zygote itself makes itself non-dumpable, so a child can neither attach to it nor
   write its memory through /proc.

   An interpreter audit hook, added before the interpreter starts (so Python code can neither
   remove nor change it), ends a child that, once the harness has armed it (the event
   "perfjudge.arm", raised just before sample code runs), builds code objects
   (types.CodeType, code.replace), unmarshals data (which can build code objects), or maps
   memory with the mmap module: crafted bytecode is the pure-Python way to read and write
   any memory, and with an executable mapping, to issue valgrind client requests. Such a
   child exits with status 122 and a message on stderr.

   Configuration comes from the environment the zygote sets before each fork:
   PJ_CHILD_POLICY (measure | run), PJ_TMPFS_BYTES, PJ_TMPFS_INODES, PJ_CHILD_NAMESPACES (0
   to skip the namespaces where the host forbids nested user namespaces; the zygote then
   wipes the shared directories itself). A child that cannot be sandboxed exits with status
   121 and a message on stderr before running anything. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define PJ_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PJ_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "perfjudge's sandbox supports x86_64 and aarch64"
#endif

#define PJ_SETUP_FAILED 121
#define PJ_FORBIDDEN 122

static int pj_sandboxed = 0;

static void pj_fail(const char *what) {
    char buf[320];
    int n = snprintf(buf, sizeof buf, "perfjudge sandbox setup failed: %s: %s\n", what,
                     strerror(errno));
    if (n > 0 && write(2, buf, (size_t)n) < 0) {
    }
    _exit(PJ_SETUP_FAILED);
}

static int pj_write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

static unsigned long pj_env_number(const char *name, unsigned long fallback) {
    const char *value = getenv(name);
    if (!value || !*value) return fallback;
    return strtoul(value, NULL, 10);
}

static void pj_private_dirs(void) {
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC) != 0) pj_fail("unshare");
    snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
    if (pj_write_file("/proc/self/uid_map", map)) pj_fail("uid_map");
    if (pj_write_file("/proc/self/setgroups", "deny")) pj_fail("setgroups");
    snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
    if (pj_write_file("/proc/self/gid_map", map)) pj_fail("gid_map");
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) pj_fail("mount --make-rprivate /");
    char opts[128];
    snprintf(opts, sizeof opts, "size=%lu,nr_inodes=%lu,mode=1777",
             pj_env_number("PJ_TMPFS_BYTES", 64UL << 20), pj_env_number("PJ_TMPFS_INODES", 4096));
    static const char *dirs[] = {"/tmp", "/work", "/dev/shm"};
    for (unsigned i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts))
            pj_fail(dirs[i]);
    }
    if (chdir("/work") != 0 && chdir("/tmp") != 0) pj_fail("chdir");
}

static void pj_drop_capabilities(void) {
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
            pj_fail("drop bounding capability");
    }
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) pj_fail("capset");
}

#define PJ_MAX_FILTER 160
#define PJ_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define PJ_DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define PJ_KILL BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
#define PJ_LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define PJ_LOAD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))

struct pj_filter {
    struct sock_filter code[PJ_MAX_FILTER];
    unsigned short n;
};

static void pj_emit(struct pj_filter *f, struct sock_filter insn) {
    if (f->n >= PJ_MAX_FILTER) {
        errno = E2BIG;
        pj_fail("seccomp filter too long");
    }
    f->code[f->n++] = insn;
}

/* if nr == syscall: return `action`; the accumulator holds nr before and after. */
static void pj_on(struct pj_filter *f, long syscall_nr, struct sock_filter action) {
    pj_emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)syscall_nr, 0, 1));
    pj_emit(f, action);
}

/* if nr == syscall: allow only when argument `arg` names this process (or 0 for prlimit). */
static void pj_only_self(struct pj_filter *f, long syscall_nr, int arg, pid_t self, int zero_ok) {
    pj_emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)syscall_nr, 0, 6));
    pj_emit(f, (struct sock_filter)PJ_LOAD_ARG(arg));
    pj_emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)self, 3, 0));
    pj_emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1));
    pj_emit(f, zero_ok ? (struct sock_filter)PJ_ALLOW : (struct sock_filter)PJ_DENY);
    pj_emit(f, (struct sock_filter)PJ_DENY);
    pj_emit(f, (struct sock_filter)PJ_ALLOW);
}

static void pj_install_filter(int measure, pid_t self) {
    struct pj_filter f = {.n = 0};
    pj_emit(&f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                             offsetof(struct seccomp_data, arch)));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PJ_AUDIT_ARCH, 1, 0));
    pj_emit(&f, (struct sock_filter)PJ_KILL);
    pj_emit(&f, (struct sock_filter)PJ_LOAD_NR);
#ifdef __x86_64__
    /* x32 system calls (bit 30) would bypass every number below */
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
    pj_emit(&f, (struct sock_filter)PJ_KILL);
#endif
    static const long refused[] = {
        SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_kcmp,
        SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
        SYS_add_key, SYS_request_key, SYS_keyctl, SYS_perf_event_open, SYS_bpf,
#ifdef SYS_userfaultfd
        SYS_userfaultfd,
#endif
#ifdef SYS_io_uring_setup
        SYS_io_uring_setup,
#endif
#ifdef SYS_pidfd_open
        SYS_pidfd_open, SYS_pidfd_send_signal,
#endif
#ifdef SYS_pidfd_getfd
        SYS_pidfd_getfd,
#endif
#ifdef SYS_process_madvise
        SYS_process_madvise,
#endif
#ifdef SYS_open_tree
        SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
#endif
#ifdef SYS_mount_setattr
        SYS_mount_setattr,
#endif
    };
    for (unsigned i = 0; i < sizeof refused / sizeof refused[0]; i++)
        pj_on(&f, refused[i], (struct sock_filter)PJ_DENY);
    /* The page cache is shared by every sandbox: evicting pages (fadvise, madvise COLD/
       PAGEOUT) and probing residency (mincore, cachestat, RWF_NOWAIT reads) would make it
       a channel from one call to the next. */
    static const long cache_channel[] = {SYS_fadvise64, SYS_readahead, SYS_mincore,
#ifdef SYS_cachestat
        SYS_cachestat,
#else
        451,
#endif
    };
    for (unsigned i = 0; i < sizeof cache_channel / sizeof cache_channel[0]; i++)
        pj_on(&f, cache_channel[i], (struct sock_filter)PJ_DENY);
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 6));
    pj_emit(&f, (struct sock_filter)PJ_LOAD_ARG(2));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 20 /* MADV_COLD */, 3, 0));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 21 /* MADV_PAGEOUT */, 2, 0));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MADV_REMOVE, 1, 0));
    pj_emit(&f, (struct sock_filter)PJ_ALLOW);
    pj_emit(&f, (struct sock_filter)PJ_DENY);
    static const long vector_io[] = {SYS_preadv2, SYS_pwritev2};
    for (unsigned i = 0; i < 2; i++) {  /* RWF_NOWAIT (8) in the flags, argument 5 */
        pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)vector_io[i], 0, 4));
        pj_emit(&f, (struct sock_filter)PJ_LOAD_ARG(5));
        pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 8, 0, 1));
        pj_emit(&f, (struct sock_filter)PJ_DENY);
        pj_emit(&f, (struct sock_filter)PJ_ALLOW);
    }
    /* prctl(PR_TASK_PERF_EVENTS_DISABLE | ENABLE) would pause a counter opened from outside */
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 5));
    pj_emit(&f, (struct sock_filter)PJ_LOAD_ARG(0));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_TASK_PERF_EVENTS_DISABLE, 2, 0));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_TASK_PERF_EVENTS_ENABLE, 1, 0));
    pj_emit(&f, (struct sock_filter)PJ_ALLOW);
    pj_emit(&f, (struct sock_filter)PJ_DENY);
    /* fcntl(F_SETOWN*) would aim SIGIO at another process */
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, 0, 5));
    pj_emit(&f, (struct sock_filter)PJ_LOAD_ARG(1));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_SETOWN, 2, 0));
    pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_SETOWN_EX, 1, 0));
    pj_emit(&f, (struct sock_filter)PJ_ALLOW);
    pj_emit(&f, (struct sock_filter)PJ_DENY);
    if (measure) {
#ifdef SYS_fork
        pj_on(&f, SYS_fork, (struct sock_filter)PJ_DENY);
        pj_on(&f, SYS_vfork, (struct sock_filter)PJ_DENY);
#endif
        pj_on(&f, SYS_execve, (struct sock_filter)PJ_KILL);
        pj_on(&f, SYS_execveat, (struct sock_filter)PJ_KILL);
#ifdef SYS_clone3
        /* clone3: ENOSYS makes glibc fall back to clone, whose flags a filter can read */
        pj_on(&f, SYS_clone3, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                          SECCOMP_RET_ERRNO | ENOSYS));
#endif
        pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
        pj_emit(&f, (struct sock_filter)PJ_LOAD_ARG(0));
        pj_emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0));
        pj_emit(&f, (struct sock_filter)PJ_DENY);
        pj_emit(&f, (struct sock_filter)PJ_ALLOW);
    }
    pj_only_self(&f, SYS_kill, 0, self, 0);
    pj_only_self(&f, SYS_tkill, 0, self, 0);
    pj_only_self(&f, SYS_tgkill, 0, self, 0);
    pj_only_self(&f, SYS_rt_sigqueueinfo, 0, self, 0);
    pj_only_self(&f, SYS_rt_tgsigqueueinfo, 0, self, 0);
    pj_only_self(&f, SYS_prlimit64, 0, self, 1);
    pj_emit(&f, (struct sock_filter)PJ_ALLOW);
    struct sock_fprog prog = {f.n, f.code};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) pj_fail("seccomp");
}

/* Where callgrind zeroes the judge's counts (``--zero-before=pj_judge_forks``): called
   before every fork of the slot's pid 1 and of a zygote, never in a sandboxed child. The
   child then inherits (and dumps at PyOS_AfterFork_Child, as part 1) only the few
   instructions of the fork itself, not the whole interpreter's table: that dump took
   ~75 ms of each measured call. What the child is charged, from PyOS_AfterFork_Child to its
   exit, does not change. A sample cannot get here: its forks run the handler below with
   pj_sandboxed set, and it can call no C function by name. */
__attribute__((noinline, visibility("default"))) void pj_judge_forks(void) {
    __asm__ volatile("" ::: "memory");
}

static void pj_before_fork(void) {
    if (!pj_sandboxed) pj_judge_forks();
}

static void pj_child_after_fork(void) {
    if (pj_sandboxed) return; /* a grandchild lives in its parent's sandbox already */
    const char *policy = getenv("PJ_CHILD_POLICY");
    /* not forked by a zygote (a helper program, or a warm slot forking a job's zygote, which
       must then sandbox its own children: so no mark is left before this check) */
    if (!policy) return;
    pj_sandboxed = 1;
    /* The zygote is non-dumpable; this child must own its /proc files to map its ids. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (pj_env_number("PJ_CHILD_NAMESPACES", 1)) pj_private_dirs();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) pj_fail("no_new_privs");
    pj_drop_capabilities();
    pj_install_filter(strcmp(policy, "measure") == 0, getpid());
}

/* ------------------------------------------------------------------ the warm slot */

/* `harness._serve_slot` enters this loop through the audit event "perfjudge.slot" (pid 1 of
   a warm sandbox, once). From then on that process runs no Python code, so its interpreter's
   heap is the same at every fork and every job's zygote starts from an identical state:
   instruction counts depend on the heap a process starts from (by ~2,000 instructions for a
   trivial call), so a slot that ran Python between jobs would count each job differently.
   Per job: report "slot_ready" with the pid the next zygote gets, wait for 'j', fork (as
   os.fork does: PyOS_BeforeFork, PyOS_AfterFork_*), wait for the zygote, kill and reap
   whatever it left (kill(-1) spares only pid 1), drop unread bytes on the control and sample
   go channels, and report again with the zygote's wait status. */

static int pj_slot_started = 0;

static void pj_put_u32le(unsigned char *buf, size_t *at, unsigned long v) {
    for (int i = 0; i < 4; i++) buf[(*at)++] = (unsigned char)((v >> (8 * i)) & 0xff);
}

static void pj_put_str(unsigned char *buf, size_t *at, const char *text) {
    size_t n = strlen(text);
    buf[(*at)++] = 'u';
    pj_put_u32le(buf, at, n);
    memcpy(buf + *at, text, n);
    *at += n;
}

static void pj_put_int(unsigned char *buf, size_t *at, long value) {
    buf[(*at)++] = 'i';
    pj_put_u32le(buf, at, (unsigned long)(unsigned int)(int)value);
}

static void pj_write_all(int fd, const unsigned char *data, size_t n) {
    while (n) {
        ssize_t w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            _exit(0); /* the parent is gone */
        }
        data += w;
        n -= (size_t)w;
    }
}

/* The frame {"e": "slot_ready", "pid": next_pid, "status": status or None}, byte for byte
   what the harness's marshal (version 2) writes. */
static void pj_slot_ready(int fd, long next_pid, int have_status, int status) {
    unsigned char buf[128];
    size_t at = 4;
    buf[at++] = '{';
    pj_put_str(buf, &at, "e");
    pj_put_str(buf, &at, "slot_ready");
    pj_put_str(buf, &at, "pid");
    pj_put_int(buf, &at, next_pid);
    pj_put_str(buf, &at, "status");
    if (have_status)
        pj_put_int(buf, &at, status);
    else
        buf[at++] = 'N';
    buf[at++] = '0';
    size_t len = at - 4;
    buf[0] = (unsigned char)(len >> 24);
    buf[1] = (unsigned char)(len >> 16);
    buf[2] = (unsigned char)(len >> 8);
    buf[3] = (unsigned char)len;
    pj_write_all(fd, buf, at);
}

static long pj_next_pid(void) {
    char text[32];
    int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    return strtol(text, NULL, 10) + 1;
}

static void pj_drain(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return;
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return;
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    fcntl(fd, F_SETFL, flags);
}

typedef void (*pj_void_fn)(void);
typedef int (*pj_parse_fn)(void *, const char *, ...);

/* Returns 0 in a job's zygote; -1, having forked nothing, if the interpreter lacks what it
   needs (the harness then reports that the slot did not start). */
static int pj_serve_slot(void *args) {
    pj_parse_fn parse = (pj_parse_fn)dlsym(RTLD_DEFAULT, "PyArg_ParseTuple");
    pj_void_fn before = (pj_void_fn)dlsym(RTLD_DEFAULT, "PyOS_BeforeFork");
    pj_void_fn in_child = (pj_void_fn)dlsym(RTLD_DEFAULT, "PyOS_AfterFork_Child");
    pj_void_fn in_parent = (pj_void_fn)dlsym(RTLD_DEFAULT, "PyOS_AfterFork_Parent");
    int report_fd, control_fd, sample_go_fd;
    if (!parse || !before || !in_child || !in_parent ||
        !parse(args, "iii", &report_fd, &control_fd, &sample_go_fd))
        return -1;
    int have_status = 0, status = 0;
    for (;;) {
        pj_slot_ready(report_fd, pj_next_pid(), have_status, status);
        char command = 0;
        ssize_t n;
        do n = read(control_fd, &command, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1 || command != 'j') _exit(0); /* the parent closed the slot */
        before();
        pid_t pid = fork();
        if (pid == 0) {
            in_child();
            return 0;
        }
        in_parent();
        have_status = 1;
        if (pid < 0) {
            status = PJ_SETUP_FAILED << 8;
            continue;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        for (;;) { /* again after every reap: a fork may race the first kill */
            kill(-1, SIGKILL);
            if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) break;
        }
        pj_drain(control_fd);
        pj_drain(sample_go_fd);
    }
}

/* ------------------------------------------------------------------ the audit hook */

static volatile int pj_armed = 0;

static const char *const pj_forbidden_events[] = {
    "code.__new__", "marshal.loads", "marshal.load", "mmap.__new__", "ctypes.dlopen",
    "ctypes.dlsym", "ctypes.cdata", "ctypes.addressof", "ctypes.string_at",
    "ctypes.wstring_at", "cpython._PySys_ClearAuditHooks",
};

static int pj_audit(const char *event, void *args, void *user_data) {
    (void)user_data;
    if (!pj_armed && !pj_slot_started && getpid() == 1 && strcmp(event, "perfjudge.slot") == 0) {
        pj_slot_started = 1;
        pj_serve_slot(args);
        return 0;
    }
    if (!pj_armed && pj_slot_started && !pj_sandboxed && getpid() != 1 &&
        strcmp(event, "perfjudge.sandbox_self") == 0) {
        /* A warm slot's zygote that runs its run-mode job itself (`harness._run_here`):
           the set-up a forked child gets, in place. Fails closed: a zygote that is not
           sandboxed after this never returns to run the sample. */
        pj_child_after_fork();
        if (!pj_sandboxed) pj_fail("no child policy for the job's own process");
        return 0;
    }
    if (!pj_armed) {
        if (strcmp(event, "perfjudge.arm") == 0) pj_armed = 1;
        return 0;
    }
    for (unsigned i = 0; i < sizeof pj_forbidden_events / sizeof pj_forbidden_events[0]; i++) {
        if (strcmp(event, pj_forbidden_events[i]) == 0) {
            char buf[256];
            int n = snprintf(buf, sizeof buf, "perfjudge: forbidden while judged: %s (it can "
                             "rewrite the interpreter's memory)\n", event);
            if (n > 0 && write(2, buf, (size_t)n) < 0) {
            }
            _exit(PJ_FORBIDDEN);
        }
    }
    return 0;
}

typedef int (*pj_hook_fn)(const char *, void *, void *);
typedef int (*pj_add_hook_fn)(pj_hook_fn, void *);

__attribute__((constructor)) static void pj_init(void) {
    if (!getenv("PJ_CHILD_POLICY")) return;
    /* Loaded into every program started in the sandbox (valgrind's launcher too); only a
       Python interpreter is a zygote. The harness refuses to run unless it sees
       PJ_SANDBOX_ACTIVE, so an interpreter without the hook cannot slip through. */
    pj_add_hook_fn add = (pj_add_hook_fn)dlsym(RTLD_DEFAULT, "PySys_AddAuditHook");
    if (!add) return;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) pj_fail("non-dumpable zygote");
    if (pthread_atfork(pj_before_fork, NULL, pj_child_after_fork) != 0) pj_fail("pthread_atfork");
    if (add(pj_audit, NULL) != 0) pj_fail("PySys_AddAuditHook");
    if (setenv("PJ_SANDBOX_ACTIVE", "1", 1) != 0) pj_fail("setenv");
}
