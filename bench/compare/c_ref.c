/*
 * C pthreads + eventfd reference for bench/compare.ts.
 *
 * W threads block in read() on one EFD_SEMAPHORE eventfd, each read takes one
 * unit; the main thread is the single producer. A plain blocking read is
 * exactly the herd-prone baseline efdpool must beat: every write wakes all
 * blocked readers.
 *
 *   c_ref tput W N BATCH    N units, written BATCH at a time (1 = one write per unit)
 *   c_ref lat  W N SPACE_US N units, one every SPACE_US microseconds; the producer
 *                           stamps CLOCK_MONOTONIC per unit, the reader diffs it
 *   c_ref prod 0 N BATCH    producer only, for another process's consumers: make the
 *                           eventfd, print {"pid":P,"fd":F}, wait for a line on stdin
 *                           (the consumer has taken the fd with pidfd_getfd), then
 *                           write N units exactly as tput does and print the time
 *   c_ref prodlat 0 N SPACE_US producer only, like prod, but on go it writes one unit
 *                           every SPACE_US microseconds exactly as lat does, stamping
 *                           CLOCK_REALTIME just before each write (the clock efdpool's
 *                           Notification.takenAt reads), then prints the stamps in
 *                           epoch ms: {"items":N,"stampsMs":[...]}
 *
 * The prod mode is what makes the comparison fair: the same binary and the same
 * produce() drive both the C consumer threads and the efdpool pool, so the ratio
 * measures the consumers rather than a C producer against a Deno one; prodlat
 * does the same for wake latency.
 *
 * Prints one JSON object on stdout. Units are numbered in the order taken
 * (seq = 1..N, like efdpool's Notification.seq); every thread sums the seqs it
 * took so the parent can check exactly-once. Context switches are summed over
 * /proc/self/task/N/status while all threads are still alive.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_W 64
/* Latency samples from the first units (cold caches, page faults) are dropped. */
#define LAT_WARMUP 50

static int efd;
static long n_units;
static int lat_mode;
static _Atomic long next_seq;
static int64_t *stamps;  /* lat: producer's stamp per unit, ns */
static int64_t *lats;    /* lat: reader's latency per unit, ns */
static pthread_barrier_t ready, done, leave;

struct slot {
  double sum;
  long count;
  char pad[48]; /* one cache line per thread */
};
static struct slot slots[MAX_W];

static int64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static long ctx_switches(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  long total = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    while (fgets(line, sizeof line, f)) {
      long v;
      if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
          sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
        total += v;
    }
    fclose(f);
  }
  closedir(d);
  return total;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void *reader(void *arg) {
  struct slot *me = arg;
  uint64_t v;
  pthread_barrier_wait(&ready);
  for (;;) {
    if (read(efd, &v, 8) != 8) die("read");
    long seq = ++next_seq;
    if (seq > n_units) break; /* one stop unit per thread */
    if (lat_mode) {
      int64_t t = now_ns();
      lats[seq - 1] = t - __atomic_load_n(&stamps[seq - 1], __ATOMIC_ACQUIRE);
    }
    me->sum += (double)seq;
    me->count++;
  }
  /* Stay alive until the parent has read /proc/self/task. */
  pthread_barrier_wait(&done);
  pthread_barrier_wait(&leave);
  return NULL;
}

static void put(uint64_t n) {
  if (write(efd, &n, 8) != 8) die("write");
}

/* The throughput write pattern, shared by tput and prod. */
static void produce(long n, long batch) {
  if (batch == 1) {
    for (long i = 0; i < n; i++) put(1);
  } else {
    for (long left = n; left > 0; left -= batch)
      put(left < batch ? left : batch);
  }
}

/* The latency write pattern, shared by lat and prodlat: one unit every space_us
 * on an absolute schedule, stamped on `clock` into out[i] just before its write. */
static void paced(long n, long space_us, clockid_t clock, int64_t *out) {
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (long i = 0; i < n; i++) {
    next.tv_nsec += space_us * 1000;
    while (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    __atomic_store_n(&out[i], clock_ns(clock), __ATOMIC_RELEASE);
    put(1);
  }
}

/* prod and prodlat: this process only writes; the consumers live in the process
 * that grabs efd. */
static int prod_main(long arg, int latency) {
  char line[16];
  printf("{\"pid\":%d,\"fd\":%d}\n", getpid(), efd);
  fflush(stdout);
  if (latency && !(stamps = calloc(n_units, sizeof *stamps))) die("calloc");
  if (!fgets(line, sizeof line, stdin)) die("stdin closed before go");
  if (latency) {
    paced(n_units, arg, CLOCK_REALTIME, stamps);
    /* Exact decimal ms: a double holds them to about 0.2 us, as it does takenAt. */
    printf("{\"items\":%ld,\"stampsMs\":[", n_units);
    for (long i = 0; i < n_units; i++)
      printf("%s%lld.%06lld", i ? "," : "", (long long)(stamps[i] / 1000000),
             (long long)(stamps[i] % 1000000));
    printf("]}\n");
  } else {
    int64_t t0 = now_ns();
    produce(n_units, arg);
    printf("{\"items\":%ld,\"writeSeconds\":%.6f}\n", n_units,
           (double)(now_ns() - t0) / 1e9);
  }
  fflush(stdout);
  /* Keep the fd's owner alive until the consumer says it is done. */
  if (!fgets(line, sizeof line, stdin)) return 0;
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s tput|lat|prod|prodlat W N BATCH|SPACE_US\n",
            argv[0]);
    return 2;
  }
  lat_mode = strcmp(argv[1], "lat") == 0;
  int prodlat_mode = strcmp(argv[1], "prodlat") == 0;
  int prod_mode = prodlat_mode || strcmp(argv[1], "prod") == 0;
  int w = atoi(argv[2]);
  n_units = atol(argv[3]);
  long arg = atol(argv[4]);
  if ((prod_mode ? w != 0 : w < 1 || w > MAX_W) || n_units < 1 || arg < 1 ||
      (!lat_mode && !prod_mode && strcmp(argv[1], "tput") != 0)) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  efd = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
  if (efd < 0) die("eventfd");
  if (prod_mode) return prod_main(arg, prodlat_mode);
  if (lat_mode) {
    stamps = calloc(n_units, sizeof *stamps);
    lats = calloc(n_units, sizeof *lats);
    if (!stamps || !lats) die("calloc");
  }
  pthread_barrier_init(&ready, NULL, w + 1);
  pthread_barrier_init(&done, NULL, w + 1);
  pthread_barrier_init(&leave, NULL, w + 1);
  pthread_t th[MAX_W];
  for (int i = 0; i < w; i++)
    if (pthread_create(&th[i], NULL, reader, &slots[i])) die("pthread_create");
  pthread_barrier_wait(&ready);
  usleep(20000); /* let every reader block in read() */

  long cs0 = ctx_switches();
  int64_t t0 = now_ns();
  if (lat_mode) {
    paced(n_units, arg, CLOCK_MONOTONIC, stamps);
  } else {
    produce(n_units, arg);
  }
  put(w); /* stop units */
  pthread_barrier_wait(&done);
  int64_t t1 = now_ns();
  long cs1 = ctx_switches();
  pthread_barrier_wait(&leave);
  for (int i = 0; i < w; i++) pthread_join(th[i], NULL);

  double sum = 0;
  long count = 0;
  for (int i = 0; i < w; i++) {
    sum += slots[i].sum;
    count += slots[i].count;
  }
  double secs = (double)(t1 - t0) / 1e9;
  printf("{\"items\":%ld,\"handled\":%ld,\"sum\":%.0f,\"expected\":%.0f,"
         "\"seconds\":%.6f,\"itemsPerSec\":%.1f,\"ctxPerUnit\":%.4f,\"shares\":[",
         n_units, count, sum, (double)n_units * (n_units + 1) / 2, secs,
         n_units / secs, (double)(cs1 - cs0) / n_units);
  for (int i = 0; i < w; i++)
    printf("%s%.4f", i ? "," : "", (double)slots[i].count / n_units);
  printf("]");
  if (lat_mode && n_units > LAT_WARMUP) {
    long m = n_units - LAT_WARMUP;
    int64_t *s = lats + LAT_WARMUP;
    qsort(s, m, sizeof *s, cmp_i64);
    printf(",\"latencyUs\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f,\"count\":%ld,"
           "\"cdf\":[",
           s[(long)(0.5 * (m - 1))] / 1e3, s[(long)(0.99 * (m - 1))] / 1e3,
           s[m - 1] / 1e3, m);
    /* The same quantiles as runner.ts's CDF_QUANTILES, for the latency chart. */
    static const double qs[] = {0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7,
                                0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
      printf("%s[%g,%.2f]", i ? "," : "", qs[i], s[(long)(qs[i] * (m - 1))] / 1e3);
    printf("]}");
  }
  printf("}\n");
  return 0;
}
