/*
 * Measures this CPU's peak float32 fused multiply-add rate: every thread runs independent
 * chains of vector FMAs on registers (no memory traffic), so the only limit is how many FMA
 * lanes the cores retire per second. Prints G MAC/s (one FMA = one multiply-accumulate) for 1..T
 * threads. Built with -march=native by deploy/bin/fma-peak, so the vector width is the widest
 * this CPU has (AVX-512 here, NEON on a Pi).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef float vf __attribute__((vector_size(64)));
#define CHAINS 12
#define LANES (sizeof(vf) / sizeof(float))

static long iterations;
static volatile float sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *work(void *arg) {
  (void)arg;
  vf a, b;
  for (int i = 0; i < (int)LANES; i++) {
    a[i] = 0.999999f;
    b[i] = 1e-7f;
  }
  /* Twelve named accumulators stay in registers; 12 independent chains hide the FMA latency
     (4 cycles) on two FMA ports. */
  vf c0 = a * 0.f, c1 = a * 1.f, c2 = a * 2.f, c3 = a * 3.f, c4 = a * 4.f, c5 = a * 5.f;
  vf c6 = a * 6.f, c7 = a * 7.f, c8 = a * 8.f, c9 = a * 9.f, c10 = a * 10.f, c11 = a * 11.f;
  for (long i = 0; i < iterations; i++) {
    c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
    c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
    c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
  }
  vf all = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
  float s = 0;
  for (int i = 0; i < (int)LANES; i++) {
    s += all[i];
  }
  sink = s;
  return NULL;
}

int main(int argc, char **argv) {
  int maxThreads = argc > 1 ? atoi(argv[1]) : 2;
  iterations = argc > 2 ? atol(argv[2]) : 400000000L / CHAINS;
  printf("lanes per vector %zu, chains %d, %ld iterations per thread\n", LANES, CHAINS, iterations);
  for (int t = 1; t <= maxThreads; t++) {
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
      pthread_t th[64];
      double t0 = now();
      for (int i = 0; i < t; i++) {
        pthread_create(&th[i], NULL, work, NULL);
      }
      for (int i = 0; i < t; i++) {
        pthread_join(th[i], NULL);
      }
      double gmacs = (double)t * iterations * CHAINS * LANES / (now() - t0) / 1e9;
      if (gmacs > best) {
        best = gmacs;
      }
    }
    printf("threads %d: peak %.1f G MAC/s (best of 5)\n", t, best);
  }
  return 0;
}
