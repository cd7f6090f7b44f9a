// libFuzzer <-> SharpFuzz bridge: libFuzzer runs in this process, the .NET target in a child.
//
// Written for this project from SharpFuzz's documented libFuzzer protocol (Fuzzer.LibFuzzer.Run):
//   * a System V shared memory segment: [0, 64 KiB) the edge map that SharpFuzz-instrumented code
//     increments (Trace.SharedMem), then the input bytes; its id goes in __LIBFUZZER_SHM_ID;
//   * a control pipe (driver -> target; its read fd in __LIBFUZZER_CONTROL_PIPE_ID): one int32 per
//     input, the input's length;
//   * a status pipe (target -> driver; its write fd in __LIBFUZZER_STATUS_PIPE_ID): one int32 when
//     the target is ready, then one per input: 0 = returned, 2 = an exception escaped (SharpFuzz has
//     printed it to stderr). EOF means the target process died (e.g. a stack overflow).
// After each input the edge map is copied into libFuzzer's extra counters, which guide it.
//
// Flags (libFuzzer ignores flags that start with "--"):
//   --target_path=dotnet --target_arg=Lilium.Fuzz.dll --target_arg=stun   the child's command line
//   --stats_file=PATH   JSON {"executions":N,"coverage_edges":M}, rewritten at most once a second and at exit
//
// Build: clang -O2 -c libfuzzer-dotnet.c && clang -fsanitize=fuzzer libfuzzer-dotnet.o -o libfuzzer-dotnet
// (the driver itself is not instrumented, so libFuzzer's coverage is the target's alone).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MapSize = 1 << 16, MaxInput = 1 << 20, MaxTargetArgs = 32 };
enum { StatusNone = 0, StatusCrash = 2 };

// "used": libFuzzer reads it through __start_/__stop_ symbols, which the compiler cannot see.
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t counters[MapSize];

static uint8_t *shm;
static int control_fd = -1;
static int status_fd = -1;
static pid_t child;
static uint8_t seen[MapSize];
static unsigned long long edges;
static unsigned long long executions;
static const char *stats_path;
static time_t stats_written;

static void write_stats(void) {
  if (stats_path == NULL) {
    return;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL) {
    return;
  }
  fprintf(f, "{\"executions\":%llu,\"coverage_edges\":%llu}\n", executions, edges);
  fclose(f);
  rename(tmp, stats_path);
}

static void fail(const char *what) {
  fprintf(stderr, "libfuzzer-dotnet: %s: %s\n", what, errno ? strerror(errno) : "failed");
  exit(1);
}

static int write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

// A crash as libFuzzer understands one: abort() reaches its deadly-signal handler, which saves the input.
static void crash(const char *why) {
  int status = 0;
  if (waitpid(child, &status, WNOHANG) == child) {
    if (WIFSIGNALED(status)) {
      fprintf(stderr, "libfuzzer-dotnet: %s (target killed by signal %d)\n", why, WTERMSIG(status));
    } else {
      fprintf(stderr, "libfuzzer-dotnet: %s (target exited with %d)\n", why, WEXITSTATUS(status));
    }
  } else {
    fprintf(stderr, "libfuzzer-dotnet: %s\n", why);
  }
  write_stats();
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *path = NULL;
  char *target_argv[MaxTargetArgs + 2];
  int target_argc = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = (*argv)[i];
    if (strncmp(a, "--target_path=", 14) == 0) {
      path = a + 14;
    } else if (strncmp(a, "--target_arg=", 13) == 0 && target_argc <= MaxTargetArgs) {
      target_argv[target_argc++] = (char *)a + 13;
    } else if (strncmp(a, "--stats_file=", 13) == 0) {
      stats_path = a + 13;
    }
  }
  if (path == NULL) {
    fprintf(stderr, "libfuzzer-dotnet: --target_path=<program> is required\n");
    exit(1);
  }
  target_argv[0] = (char *)path;
  target_argv[target_argc] = NULL;

  int id = shmget(IPC_PRIVATE, MapSize + MaxInput, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) {
    fail("shmget");
  }
  shm = shmat(id, NULL, 0);
  if (shm == (void *)-1) {
    fail("shmat");
  }

  int control[2], status[2];
  if (pipe(control) != 0 || pipe(status) != 0) {
    fail("pipe");
  }
  signal(SIGPIPE, SIG_IGN); // a dead target shows as a failed write, handled as a crash

  child = fork();
  if (child < 0) {
    fail("fork");
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // libFuzzer's timeout and crash paths exit without cleanup
    close(control[1]);
    close(status[0]);
    char value[32];
    snprintf(value, sizeof value, "%d", id);
    setenv("__LIBFUZZER_SHM_ID", value, 1);
    snprintf(value, sizeof value, "%d", control[0]);
    setenv("__LIBFUZZER_CONTROL_PIPE_ID", value, 1);
    snprintf(value, sizeof value, "%d", status[1]);
    setenv("__LIBFUZZER_STATUS_PIPE_ID", value, 1);
    execvp(path, target_argv);
    fprintf(stderr, "libfuzzer-dotnet: exec %s: %s\n", path, strerror(errno));
    _exit(127);
  }

  close(control[0]);
  close(status[1]);
  control_fd = control[1];
  status_fd = status[0];
  int32_t ready;
  if (read_full(status_fd, &ready, sizeof ready) != 0 || ready != StatusNone) {
    shmctl(id, IPC_RMID, NULL);
    fprintf(stderr, "libfuzzer-dotnet: the target did not start (is it calling Fuzzer.LibFuzzer.Run?)\n");
    exit(1);
  }
  shmctl(id, IPC_RMID, NULL); // both attached: the segment goes away with the last of us
  atexit(write_stats);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MaxInput) {
    size = MaxInput;
  }
  memset(shm, 0, MapSize);
  memcpy(shm + MapSize, data, size);
  int32_t length = (int32_t)size;
  if (write_full(control_fd, &length, sizeof length) != 0) {
    crash("the target is gone (control pipe)");
  }
  int32_t status;
  if (read_full(status_fd, &status, sizeof status) != 0) {
    crash("the target died on this input");
  }
  executions++;

  memcpy(counters, shm, MapSize);
  const uint64_t *words = (const uint64_t *)shm;
  for (size_t w = 0; w < MapSize / 8; w++) {
    if (words[w] == 0) {
      continue;
    }
    for (size_t i = w * 8; i < w * 8 + 8; i++) {
      if (shm[i] != 0 && !seen[i]) {
        seen[i] = 1;
        edges++;
      }
    }
  }

  time_t now = time(NULL);
  if (now != stats_written) {
    stats_written = now;
    write_stats();
  }

  if (status != StatusNone) {
    crash("an exception escaped the target (its stack trace is above)");
  }
  return 0;
}
