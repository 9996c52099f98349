/*
 * The fused CPU training kernel: forward, backward and optimiser of every replica of a stacked MLP
 * ensemble, one pass per block of points, on T threads sharing one memory region.
 *
 * One source, two builds (build.mjs): WebAssembly SIMD128 (4 lanes, optionally relaxed-SIMD FMA) run
 * by node:worker_threads over a shared WebAssembly.Memory, and a native N-API addon with AVX2 + FMA
 * (8 lanes) run by the same workers over a SharedArrayBuffer. The host (layout.ts) lays the region
 * out and writes the header; this file only reads offsets from it, so the two sides cannot disagree
 * about where anything is.
 *
 * Points sit in SIMD lanes: activations of a block are [units][B] rows, weights are broadcast, and
 * the gradient's reduction over points accumulates in per-lane vector accumulators that are summed
 * horizontally once per replica and step. Work items are (replica, point block) pairs split evenly
 * over threads; a replica whose blocks straddle two threads is the only thing they exchange (one
 * barrier per step, only when such a replica exists), and every thread that touches it applies the
 * same optimiser update to its own copy, so no second barrier is needed before the next forward.
 */
#include "kernel.h"

#if defined(__wasm__)
#define LANES 4
typedef float vf __attribute__((vector_size(16)));
typedef int vi __attribute__((vector_size(16)));
#if defined(KERNEL_RELAXED)
#define FMA(a, b, c) __builtin_wasm_fma_f32x4((c), (a), (b))
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

#if defined(__wasm__)
/* -nostdlib: the compiler may still call these for zeroing and copying loops. */
void* memset(void* d, int c, unsigned long n) {
  unsigned char* p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void* memcpy(void* d, const void* s, unsigned long n) {
  unsigned char* p = d;
  const unsigned char* q = s;
  while (n--) *p++ = *q++;
  return d;
}
#endif

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

/* ---- the region ---- */

typedef struct {
  char* base;
  const int* h;
  int T, R, NP, NB, L, act, opt, P;
  const int* sizes;
  long wOff[KERNEL_MAX_LAYERS], bOff[KERNEL_MAX_LAYERS];
} Ctx;

#define F32(off) ((float*)(c->base + (long)c->h[(off)]))

static void ctx_init(Ctx* c, char* base) {
  c->base = base;
  c->h = (const int*)base;
  const int* h = c->h;
  c->T = h[H_THREADS];
  c->R = h[H_R];
  c->NP = h[H_NP];
  c->NB = h[H_NP] / KERNEL_BLOCK;
  c->L = h[H_LAYERS];
  c->act = h[H_ACT];
  c->opt = h[H_OPT];
  c->P = h[H_P];
  c->sizes = h + H_SIZES;
  long off = 0;
  for (int l = 0; l < c->L; l++) {
    c->wOff[l] = off;
    c->bOff[l] = off + (long)c->sizes[l] * c->sizes[l + 1];
    off += (long)c->sizes[l] * c->sizes[l + 1] + c->sizes[l + 1];
  }
}

/* Per-thread scratch, laid out by the host: activations, deltas, vector accumulators, gradient,
   exchange slots [parity][first/last][P + 1] and a shadow copy of a shared replica's state. */
typedef struct {
  float* act;
  float* d0;
  float* d1;
  vf* gacc;
  float* grad;
  float* slots;
  float* shadow;
  long slotStride;
} Scratch;

static void scratch_init(const Ctx* c, int t, Scratch* s) {
  char* p = c->base + (long)c->h[H_OFF_SCRATCH] + (long)t * c->h[H_SCRATCH_STRIDE];
  const int* h = c->h;
  s->act = (float*)(p + h[H_SCR_ACT]);
  s->d0 = (float*)(p + h[H_SCR_D0]);
  s->d1 = (float*)(p + h[H_SCR_D1]);
  s->gacc = (vf*)(p + h[H_SCR_GACC]);
  s->grad = (float*)(p + h[H_SCR_GRAD]);
  s->slots = (float*)(p + h[H_SCR_SLOTS]);
  s->shadow = (float*)(p + h[H_SCR_SHADOW]);
  s->slotStride = h[H_SLOT_STRIDE];
}

/* Gradient accumulation of one replica over blocks [b0, b1); returns the loss over those blocks. */
static float replica_blocks(const Ctx* c, Scratch* s, int r, int b0, int b1, const float* theta) {
  const int L = c->L, NP = c->NP;
  const float* X = F32(H_OFF_X);
  const float* Y = F32(H_OFF_Y) + (long)r * c->sizes[L] * NP;
  const float* pw = F32(H_OFF_PW);
  vf* gacc = s->gacc;
  for (int j = 0; j < c->P; j++) gacc[j] = splat(0.f);
  vf lossv = splat(0.f);
  for (int b = b0; b < b1; b++) {
    const long p0 = (long)b * KERNEL_BLOCK;
    /* forward: hidden activations one after the other in s->act */
    const float* in = X + p0;
    int lda = NP;
    float* out = s->act;
    for (int l = 0; l < L; l++) {
      const int nin = c->sizes[l], nout = c->sizes[l + 1];
      layer_forward(in, lda, nin, theta + c->wOff[l], theta + c->bOff[l], nout, out);
      if (l + 1 < L) activate(out, nout * KERNEL_BLOCK, c->act);
      in = out;
      lda = KERNEL_BLOCK;
      out += (long)nout * KERNEL_BLOCK;
    }
    /* output delta: d loss / d z for loss = Σ_points pw · Σ_outputs (z − y)² */
    const int F = c->sizes[L];
    const float* Z = in;
    float* D = s->d0;
    const vf* w = (const vf*)(pw + p0);
    for (int o = 0; o < F; o++) {
      const vf* z = (const vf*)(Z + (long)o * KERNEL_BLOCK);
      const vf* y = (const vf*)(Y + (long)o * NP + p0);
      vf* d = (vf*)(D + (long)o * KERNEL_BLOCK);
      for (int v = 0; v < V; v++) {
        vf e = z[v] - y[v];
        vf we = w[v] * e;
        lossv = FMA(we, e, lossv);
        d[v] = we + we;
      }
    }
    /* backward, last layer first; the activations of layer l−1 end where layer l's begin */
    float* aEnd = (float*)Z;
    for (int l = L - 1; l >= 0; l--) {
      const int nin = c->sizes[l], nout = c->sizes[l + 1];
      const float* A = l == 0 ? X + p0 : aEnd - (long)nin * KERNEL_BLOCK;
      const int la = l == 0 ? NP : KERNEL_BLOCK;
      layer_wgrad(A, la, nin, D, nout, gacc + c->wOff[l], gacc + c->bOff[l]);
      if (l > 0) {
        float* Dp = D == s->d0 ? s->d1 : s->d0;
        layer_dgrad(theta + c->wOff[l], nin, nout, D, Dp);
        activation_grad(Dp, A, nin * KERNEL_BLOCK, c->act);
        D = Dp;
        aEnd = (float*)A;
      }
    }
  }
  for (int j = 0; j < c->P; j++) s->grad[j] = hsum(gacc[j]);
  return hsum(lossv);
}

/* ---- optimisers (train/optimisers.ts StackedOptimiser: Keras conventions) ---- */

static double powi(double b, int e) {
  double r = 1;
  while (e > 0) {
    if (e & 1) r *= b;
    b *= b;
    e >>= 1;
  }
  return r;
}

/* state: θ, then the optimiser's slots, each P floats apart by `stride`. */
static void optimise(const Ctx* c, int r, int t, const float* g, float* theta, float* s0, float* s1,
                     float* s2) {
  const int P = c->P;
  const float lr = F32(H_OFF_LR)[r], clip = F32(H_OFF_CLIP)[r], mu = F32(H_OFF_MOM)[r];
  float scale = 1.f;
  if (clip > 0.f) {
    double n2 = 0;
    for (int j = 0; j < P; j++) n2 += (double)g[j] * g[j];
    float norm = __builtin_sqrtf((float)n2);
    float q = clip / (norm > 1e-30f ? norm : 1e-30f);
    scale = q < 1.f ? q : 1.f;
  }
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
  switch (c->opt) {
    case OPT_ADAM:
    case OPT_AMSGRAD:
    case OPT_NADAM: {
      const float c1 = (float)(1 - powi(0.9, t)), c2 = (float)(1 - powi(0.999, t));
      const float n1 = (float)(0.9 / (1 - powi(0.9, t + 1))), n2 = (float)(0.1 / (1 - powi(0.9, t)));
      for (int j = 0; j < P; j++) {
        float gj = g[j] * scale;
        float m = s0[j] * b1 + gj * (1 - b1);
        float v = s1[j] * b2 + gj * gj * (1 - b2);
        s0[j] = m;
        s1[j] = v;
        if (c->opt == OPT_AMSGRAD) {
          v = v > s2[j] ? v : s2[j];
          s2[j] = v;
        }
        float mh = c->opt == OPT_NADAM ? m * n1 + gj * n2 : m / c1;
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

/* ---- threads ---- */

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

static void barrier(const Ctx* c) {
  int* count = (int*)c->h + H_BAR_COUNT;
  int* gen = (int*)c->h + H_BAR_GEN;
  int g = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(count, 1, __ATOMIC_ACQ_REL) == c->T) {
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

/* Thread t's work items [lo, hi) of R·NB (replica-major). */
static void thread_items(const Ctx* c, int t, long* lo, long* hi) {
  long items = (long)c->R * c->NB;
  *lo = items * t / c->T;
  *hi = items * (t + 1) / c->T;
}

/* Whether replica r is split between threads (its items cross a thread boundary). */
static int replica_shared(const Ctx* c, int r) {
  long a = (long)r * c->NB, b = a + c->NB;
  for (int t = 1; t < c->T; t++) {
    long lo, hi;
    thread_items(c, t, &lo, &hi);
    if (lo > a && lo < b) return 1;
  }
  return 0;
}

/* Slot of thread u for replica r (0: its first replica, 1: its last), −1 when u does not touch r. */
static int slot_of(const Ctx* c, int u, int r) {
  long lo, hi;
  thread_items(c, u, &lo, &hi);
  if (hi <= lo) return -1;
  int first = (int)(lo / c->NB), last = (int)((hi - 1) / c->NB);
  if (r == first) return 0;
  if (r == last) return 1;
  return -1;
}

static float* slot_ptr(const Ctx* c, int u, int parity, int slot) {
  char* p = c->base + (long)c->h[H_OFF_SCRATCH] + (long)u * c->h[H_SCRATCH_STRIDE] + c->h[H_SCR_SLOTS];
  return (float*)p + ((long)parity * 2 + slot) * c->h[H_SLOT_STRIDE];
}

/* The state of replica r as thread t sees it: the global rows, or t's shadow copy when another thread
   holds the replica's first block (that thread owns the global rows). */
static void state_rows(const Ctx* c, const Scratch* s, int r, int primary, float** th, float** s0, float** s1,
                       float** s2) {
  const long P = c->P;
  if (primary) {
    *th = F32(H_OFF_PARAMS) + r * P;
    *s0 = F32(H_OFF_SLOT0) + r * P;
    *s1 = F32(H_OFF_SLOT1) + r * P;
    *s2 = F32(H_OFF_SLOT2) + r * P;
  } else {
    *th = s->shadow;
    *s0 = s->shadow + P;
    *s1 = s->shadow + 2 * P;
    *s2 = s->shadow + 3 * P;
  }
}

/* Run `steps` full-batch steps on thread t (called by every thread with the same arguments). */
KERNEL_EXPORT int kernel_run(char* base, int t, int steps) {
  Ctx ctx;
  Ctx* c = &ctx;
  ctx_init(c, base);
  if (c->h[H_MAGIC] != KERNEL_MAGIC || c->h[H_BLOCK] != KERNEL_BLOCK || c->h[H_LANES] != LANES) return -1;
  Scratch s;
  scratch_init(c, t, &s);
  long lo, hi;
  thread_items(c, t, &lo, &hi);
  if (hi <= lo) {
    /* no work, but the step barriers still count every thread */
    int anyShared = 0;
    for (int r = 0; r < c->R && !anyShared; r++) anyShared = replica_shared(c, r);
    if (anyShared)
      for (int k = 0; k < steps; k++) barrier(c);
    return 0;
  }
  const int NB = c->NB;
  const long P = c->P;
  const int rFirst = (int)(lo / NB), rLast = (int)((hi - 1) / NB);
  int anyShared = 0;
  for (int r = 0; r < c->R; r++) anyShared |= replica_shared(c, r);
  /* a replica whose first block is elsewhere: take a shadow copy of its state (the primary thread
     cannot have updated it yet: that needs this thread at the step's barrier) */
  const int shadowed = lo % NB != 0;
  if (shadowed) {
    float* src[4] = {F32(H_OFF_PARAMS), F32(H_OFF_SLOT0), F32(H_OFF_SLOT1), F32(H_OFF_SLOT2)};
    for (int q = 0; q < 4; q++)
      for (long j = 0; j < P; j++) s.shadow[q * P + j] = src[q][rFirst * P + j];
  }
  const int step0 = c->h[H_STEP];
  float* loss = F32(H_OFF_LOSS);
  const float* active = F32(H_OFF_ACTIVE);
  for (int k = 0; k < steps; k++) {
    const int tstep = step0 + k + 1;
    const int parity = tstep & 1;
    for (int r = rFirst; r <= rLast; r++) {
      const long a = (long)r * NB;
      const int b0 = (int)((lo > a ? lo : a) - a), b1 = (int)((hi < a + NB ? hi : a + NB) - a);
      const int primary = !(shadowed && r == rFirst);
      float *th, *s0, *s1, *s2;
      state_rows(c, &s, r, primary, &th, &s0, &s1, &s2);
      if (active[r] == 0.f) continue;
      float l = replica_blocks(c, &s, r, b0, b1, th);
      if (b0 == 0 && b1 == NB) {
        loss[r] = l;
        optimise(c, r, tstep, s.grad, th, s0, s1, s2);
      } else {
        float* slot = slot_ptr(c, t, parity, r == rFirst ? 0 : 1);
        for (long j = 0; j < P; j++) slot[j] = s.grad[j];
        slot[P] = l;
      }
    }
    if (!anyShared) continue;
    barrier(c);
    /* shared replicas: sum the partials in thread order, then every participant updates its copy */
    int ends[2] = {rFirst, rLast};
    for (int e = 0; e < (rFirst == rLast ? 1 : 2); e++) {
      const int r = ends[e];
      if (!replica_shared(c, r) || active[r] == 0.f) continue;
      for (long j = 0; j < P; j++) s.grad[j] = 0.f;
      float l = 0.f;
      for (int u = 0; u < c->T; u++) {
        int sl = slot_of(c, u, r);
        if (sl < 0) continue;
        const float* src = slot_ptr(c, u, parity, sl);
        for (long j = 0; j < P; j++) s.grad[j] += src[j];
        l += src[P];
      }
      const int primary = !(shadowed && r == rFirst);
      float *th, *s0, *s1, *s2;
      state_rows(c, &s, r, primary, &th, &s0, &s1, &s2);
      if (primary) loss[r] = l;
      optimise(c, r, tstep, s.grad, th, s0, s1, s2);
    }
  }
  return 0;
}

KERNEL_EXPORT int kernel_lanes(void) { return LANES; }
KERNEL_EXPORT int kernel_block(void) { return KERNEL_BLOCK; }
