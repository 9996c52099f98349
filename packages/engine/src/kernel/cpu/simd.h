/*
 * SIMD vocabulary and the per-block layer kernels of the fused CPU kernel, shared by kernel.c (the
 * benchmark's MSE ensemble) and member.c (the training kernel of kernel/kernel.ts). Points sit in
 * SIMD lanes: activations of a block are [units][KERNEL_BLOCK] rows, weights are broadcast.
 */
#ifndef HYPERENSEMBLE_SIMD_H
#define HYPERENSEMBLE_SIMD_H
#include "kernel.h"

#if defined(__wasm__)
#define LANES 4
typedef float vf __attribute__((vector_size(16)));
typedef int vi __attribute__((vector_size(16)));
#if defined(KERNEL_RELAXED)
/* clang ≥ 16 emits the standard f32x4.relaxed_madd; clang 14's __builtin_wasm_fma_f32x4 is the
   draft opcode (0xaf) that Node 20 rejects even with --experimental-wasm-relaxed-simd */
#if __clang_major__ < 16
#error "the relaxed-SIMD build needs clang 16 or later"
#endif
#define FMA(a, b, c) __builtin_wasm_relaxed_madd_f32x4((a), (b), (c))
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif
#define VMIN(a, b) __builtin_wasm_min_f32x4((a), (b))
#define VMAX(a, b) __builtin_wasm_max_f32x4((a), (b))
#else
#define LANES 8
typedef float vf __attribute__((vector_size(32)));
typedef int vi __attribute__((vector_size(32)));
/* -mfma -ffp-contract=fast turns a*b+c into vfmadd */
#define FMA(a, b, c) ((a) * (b) + (c))
#define VMIN(a, b) __builtin_ia32_minps256((a), (b))
#define VMAX(a, b) __builtin_ia32_maxps256((a), (b))
#endif

#define V (KERNEL_BLOCK / LANES) /* vectors per activation row */
#define INL static inline __attribute__((always_inline))

#if LANES == 4
INL vf splat(float x) { return (vf){x, x, x, x}; }
#else
INL vf splat(float x) { return (vf){x, x, x, x, x, x, x, x}; }
#endif

INL float hsum(vf x) {
  float s = 0;
  for (int l = 0; l < LANES; l++) s += x[l];
  return s;
}


/* ---- activations (tanh: Eigen's float rational approximation, a few ulp) ---- */
INL vf vtanh(vf x) {
  const vf lim = splat(7.90531110763549805f);
  x = VMIN(VMAX(x, -lim), lim);
  vf x2 = x * x;
  vf p = FMA(x2, splat(-2.76076847742355e-16f), splat(2.00018790482477e-13f));
  p = FMA(p, x2, splat(-8.60467152213735e-11f));
  p = FMA(p, x2, splat(5.12229709037114e-08f));
  p = FMA(p, x2, splat(1.48572235717979e-05f));
  p = FMA(p, x2, splat(6.37261928875436e-04f));
  p = FMA(p, x2, splat(4.89352455891786e-03f));
  p = p * x;
  vf q = FMA(x2, splat(1.19825839466702e-06f), splat(1.18534705686654e-04f));
  q = FMA(q, x2, splat(2.26843463243900e-03f));
  q = FMA(q, x2, splat(4.89352518554385e-03f));
  return p / q;
}

__attribute__((noinline)) static void activate(float* z, int n, int act) {
  vf* v = (vf*)z;
  int nv = n / LANES;
  switch (act) {
    case ACT_TANH:
      for (int i = 0; i < nv; i++) v[i] = vtanh(v[i]);
      break;
    case ACT_SIGMOID:
      for (int i = 0; i < nv; i++) v[i] = FMA(splat(0.5f), vtanh(v[i] * 0.5f), splat(0.5f));
      break;
    case ACT_RELU:
      for (int i = 0; i < nv; i++) v[i] = VMAX(v[i], splat(0.f));
      break;
    default:
      break;
  }
}

/* d ← d ⊙ act'(a), from the activation's output a. */
__attribute__((noinline)) static void activation_grad(float* d, const float* a, int n, int act) {
  vf* dv = (vf*)d;
  const vf* av = (const vf*)a;
  int nv = n / LANES;
  const vf one = splat(1.f);
  switch (act) {
    case ACT_TANH:
      for (int i = 0; i < nv; i++) dv[i] *= one - av[i] * av[i];
      break;
    case ACT_SIGMOID:
      for (int i = 0; i < nv; i++) dv[i] *= av[i] * (one - av[i]);
      break;
    case ACT_RELU:
      for (int i = 0; i < nv; i++) dv[i] = (vf)((vi)(av[i] > splat(0.f)) & (vi)dv[i]);
      break;
    default:
      break;
  }
}

/* ---- layer kernels on one block: rows of B points ----
 * Not inlined into kernel_run: V8 tiers a WebAssembly function up from its baseline compiler only for
 * later calls, so the hot loops must sit in functions that are called many times.
 * Tiles are written out with named accumulators, not arrays: clang (wasm32) left array tiles in
 * linear memory, 5× slower. */

#define LD(p) (*(const vf*)(p))
#define ST(p, x) (*(vf*)(p) = (x))

/* Z[o][·] = bias[o] + Σ_i W[i][o] A[i][·], four outputs at a time, two vectors per pass. */
__attribute__((noinline)) static void layer_forward(const float* A, int lda, int nin, const float* W, const float* bias, int nout,
                          float* Z) {
  int o0 = 0;
  for (; o0 + 4 <= nout; o0 += 4)
    for (int v0 = 0; v0 < KERNEL_BLOCK; v0 += 2 * LANES) {
      vf c00 = splat(bias[o0]), c10 = splat(bias[o0 + 1]), c20 = splat(bias[o0 + 2]), c30 = splat(bias[o0 + 3]);
      vf c01 = c00, c11 = c10, c21 = c20, c31 = c30;
      const float* a = A + v0;
      const float* w = W + o0;
      for (int i = 0; i < nin; i++, a += lda, w += nout) {
        vf x0 = LD(a), x1 = LD(a + LANES);
        vf w0 = splat(w[0]), w1 = splat(w[1]), w2 = splat(w[2]), w3 = splat(w[3]);
        c00 = FMA(w0, x0, c00);
        c01 = FMA(w0, x1, c01);
        c10 = FMA(w1, x0, c10);
        c11 = FMA(w1, x1, c11);
        c20 = FMA(w2, x0, c20);
        c21 = FMA(w2, x1, c21);
        c30 = FMA(w3, x0, c30);
        c31 = FMA(w3, x1, c31);
      }
      float* z = Z + (long)o0 * KERNEL_BLOCK + v0;
      ST(z, c00);
      ST(z + LANES, c01);
      z += KERNEL_BLOCK;
      ST(z, c10);
      ST(z + LANES, c11);
      z += KERNEL_BLOCK;
      ST(z, c20);
      ST(z + LANES, c21);
      z += KERNEL_BLOCK;
      ST(z, c30);
      ST(z + LANES, c31);
    }
  for (; o0 < nout; o0++)
    for (int v0 = 0; v0 < KERNEL_BLOCK; v0 += 2 * LANES) {
      vf c0 = splat(bias[o0]), c1 = c0;
      const float* a = A + v0;
      const float* w = W + o0;
      for (int i = 0; i < nin; i++, a += lda, w += nout) {
        vf w0 = splat(w[0]);
        c0 = FMA(w0, LD(a), c0);
        c1 = FMA(w0, LD(a + LANES), c1);
      }
      float* z = Z + (long)o0 * KERNEL_BLOCK + v0;
      ST(z, c0);
      ST(z + LANES, c1);
    }
}

/* gW[i][o] += Σ_points A[i][·] D[o][·] per lane (summed horizontally once per step), 2 × 4 tiles. */
__attribute__((noinline)) static void layer_wgrad(const float* A, int lda, int nin, const float* D, int nout, vf* gW, vf* gb) {
  const int B = KERNEL_BLOCK;
  int i0 = 0;
  for (; i0 + 2 <= nin; i0 += 2) {
    const float* a0 = A + (long)i0 * lda;
    const float* a1 = a0 + lda;
    int o0 = 0;
    for (; o0 + 4 <= nout; o0 += 4) {
      vf* g0 = gW + (long)i0 * nout + o0;
      vf* g1 = g0 + nout;
      vf s00 = g0[0], s01 = g0[1], s02 = g0[2], s03 = g0[3];
      vf s10 = g1[0], s11 = g1[1], s12 = g1[2], s13 = g1[3];
      const float* d = D + (long)o0 * B;
      for (int v = 0; v < B; v += LANES) {
        vf x0 = LD(a0 + v), x1 = LD(a1 + v);
        vf d0 = LD(d + v), d1 = LD(d + B + v), d2 = LD(d + 2 * B + v), d3 = LD(d + 3 * B + v);
        s00 = FMA(x0, d0, s00);
        s01 = FMA(x0, d1, s01);
        s02 = FMA(x0, d2, s02);
        s03 = FMA(x0, d3, s03);
        s10 = FMA(x1, d0, s10);
        s11 = FMA(x1, d1, s11);
        s12 = FMA(x1, d2, s12);
        s13 = FMA(x1, d3, s13);
      }
      g0[0] = s00;
      g0[1] = s01;
      g0[2] = s02;
      g0[3] = s03;
      g1[0] = s10;
      g1[1] = s11;
      g1[2] = s12;
      g1[3] = s13;
    }
    for (; o0 < nout; o0++) {
      vf* g0 = gW + (long)i0 * nout + o0;
      vf s0 = g0[0], s1 = g0[nout];
      const float* d = D + (long)o0 * B;
      for (int v = 0; v < B; v += LANES) {
        vf dv = LD(d + v);
        s0 = FMA(LD(a0 + v), dv, s0);
        s1 = FMA(LD(a1 + v), dv, s1);
      }
      g0[0] = s0;
      g0[nout] = s1;
    }
  }
  for (; i0 < nin; i0++) {
    const float* a0 = A + (long)i0 * lda;
    for (int o0 = 0; o0 < nout; o0++) {
      vf* g0 = gW + (long)i0 * nout + o0;
      vf s0 = g0[0];
      const float* d = D + (long)o0 * B;
      for (int v = 0; v < B; v += LANES) s0 = FMA(LD(a0 + v), LD(d + v), s0);
      g0[0] = s0;
    }
  }
  for (int o = 0; o < nout; o++) {
    const float* d = D + (long)o * B;
    vf s = gb[o];
    for (int v = 0; v < B; v += LANES) s += LD(d + v);
    gb[o] = s;
  }
}

/* Dp[i][·] = Σ_o W[i][o] D[o][·], four inputs at a time, two vectors per pass. */
__attribute__((noinline)) static void layer_dgrad(const float* W, int nin, int nout, const float* D, float* Dp) {
  const int B = KERNEL_BLOCK;
  int i0 = 0;
  for (; i0 + 4 <= nin; i0 += 4)
    for (int v0 = 0; v0 < B; v0 += 2 * LANES) {
      vf c00 = splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float* w = W + (long)i0 * nout;
      const float* d = D + v0;
      for (int o = 0; o < nout; o++, d += B) {
        vf x0 = LD(d), x1 = LD(d + LANES);
        vf w0 = splat(w[o]), w1 = splat(w[nout + o]), w2 = splat(w[2 * nout + o]), w3 = splat(w[3 * nout + o]);
        c00 = FMA(w0, x0, c00);
        c01 = FMA(w0, x1, c01);
        c10 = FMA(w1, x0, c10);
        c11 = FMA(w1, x1, c11);
        c20 = FMA(w2, x0, c20);
        c21 = FMA(w2, x1, c21);
        c30 = FMA(w3, x0, c30);
        c31 = FMA(w3, x1, c31);
      }
      float* z = Dp + (long)i0 * B + v0;
      ST(z, c00);
      ST(z + LANES, c01);
      z += B;
      ST(z, c10);
      ST(z + LANES, c11);
      z += B;
      ST(z, c20);
      ST(z + LANES, c21);
      z += B;
      ST(z, c30);
      ST(z + LANES, c31);
    }
  for (; i0 < nin; i0++)
    for (int v0 = 0; v0 < B; v0 += 2 * LANES) {
      vf c0 = splat(0.f), c1 = c0;
      const float* w = W + (long)i0 * nout;
      const float* d = D + v0;
      for (int o = 0; o < nout; o++, d += B) {
        vf w0 = splat(w[o]);
        c0 = FMA(w0, LD(d), c0);
        c1 = FMA(w0, LD(d + LANES), c1);
      }
      float* z = Dp + (long)i0 * B + v0;
      ST(z, c0);
      ST(z + LANES, c1);
    }
}


/* ---- optimisers (train/optimisers.ts StackedOptimiser: Keras conventions, float32) ---- */

static double powi(double b, int e) {
  double r = 1;
  while (e > 0) {
    if (e & 1) r *= b;
    b *= b;
    e >>= 1;
  }
  return r;
}

/* One update of P parameters at step t: clip the gradient's norm to `clip` (≤ 0: none), then the
   optimiser with learning rate lr and momentum mu; s0 … s2 are its slots. */
static void optimiser_step(int opt, int P, int t, float lr, float clip, float mu, const float* g, float* theta,
                           float* s0, float* s1, float* s2) {
  float scale = 1.f;
  if (clip > 0.f) {
    double n2 = 0;
    for (int j = 0; j < P; j++) n2 += (double)g[j] * g[j];
    float norm = __builtin_sqrtf((float)n2);
    float q = clip / (norm > 1e-30f ? norm : 1e-30f);
    scale = q < 1.f ? q : 1.f;
  }
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
  switch (opt) {
    case OPT_ADAM:
    case OPT_AMSGRAD:
    case OPT_NADAM: {
      const float c1 = (float)(1 - powi(0.9, t)), c2 = (float)(1 - powi(0.999, t));
      const float n1 = (float)(0.9 / (1 - powi(0.9, t + 1))), n2 = (float)((1 - 0.9) / (1 - powi(0.9, t)));
      for (int j = 0; j < P; j++) {
        float gj = g[j] * scale;
        float m = s0[j] * b1 + gj * 0.1f; /* 1 − β1 rounded as TF.js rounds it */
        float v = s1[j] * b2 + gj * gj * 0.001f;
        s0[j] = m;
        s1[j] = v;
        if (opt == OPT_AMSGRAD) {
          v = v > s2[j] ? v : s2[j];
          s2[j] = v;
        }
        float mh = opt == OPT_NADAM ? m * n1 + gj * n2 : m / c1;
        theta[j] -= mh * lr / (__builtin_sqrtf(v / c2) + eps);
      }
      break;
    }
    case OPT_RMSPROP:
      for (int j = 0; j < P; j++) {
        float gj = g[j] * scale;
        float v = s0[j] * 0.9f + gj * gj * 0.1f;
        s0[j] = v;
        float st = gj * lr / (__builtin_sqrtf(v) + eps);
        if (mu > 0.f) {
          st = s1[j] * mu + st;
          s1[j] = st;
        }
        theta[j] -= st;
      }
      break;
    case OPT_SGD:
      for (int j = 0; j < P; j++) {
        float gj = g[j] * scale;
        if (mu > 0.f) {
          float vel = s0[j] * mu - gj * lr;
          s0[j] = vel;
          theta[j] += vel;
        } else {
          theta[j] -= gj * lr;
        }
      }
      break;
    case OPT_ADADELTA:
      for (int j = 0; j < P; j++) {
        float gj = g[j] * scale;
        float eg = s0[j] * 0.95f + gj * gj * 0.05f;
        s0[j] = eg;
        float delta = __builtin_sqrtf(s1[j] + eps) / __builtin_sqrtf(eg + eps) * gj;
        s1[j] = s1[j] * 0.95f + delta * delta * 0.05f;
        theta[j] -= delta * lr;
      }
      break;
    default:
      break;
  }
}

/* ---- threads: futex (native) or memory.atomic.wait (WebAssembly) ---- */

#if defined(__wasm__)
INL void cpu_relax(void) {}
INL void wait_on(int* addr, int expected) { __builtin_wasm_memory_atomic_wait32(addr, expected, -1); }
INL void wake_all(int* addr) { __builtin_wasm_memory_atomic_notify(addr, 0x7fffffff); }
#else
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
INL void cpu_relax(void) { __builtin_ia32_pause(); }
INL void wait_on(int* addr, int expected) { syscall(SYS_futex, addr, FUTEX_WAIT, expected, 0, 0, 0); }
INL void wake_all(int* addr) { syscall(SYS_futex, addr, FUTEX_WAKE, 0x7fffffff, 0, 0, 0); }
#endif


/* All T threads meet: the last to arrive zeroes *reset (when given) before releasing the others. */
static void barrier_wait(int* count, int* gen, int T, int* reset) {
  int g = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(count, 1, __ATOMIC_ACQ_REL) == T) {
    if (reset) __atomic_store_n(reset, 0, __ATOMIC_RELAXED);
    __atomic_store_n(count, 0, __ATOMIC_RELAXED);
    __atomic_store_n(gen, g + 1, __ATOMIC_RELEASE);
    wake_all(gen);
  } else {
    int spins = 0;
    while (__atomic_load_n(gen, __ATOMIC_ACQUIRE) == g) {
      if (++spins < 256)
        cpu_relax();
      else
        wait_on(gen, g);
    }
  }
}

#endif
