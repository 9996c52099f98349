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
#include "simd.h"

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

/* ---- optimisers: the optimiser_step of simd.h with this replica's settings ---- */

static void optimise(const Ctx* c, int r, int t, const float* g, float* theta, float* s0, float* s1,
                     float* s2) {
  optimiser_step(c->opt, c->P, t, F32(H_OFF_LR)[r], F32(H_OFF_CLIP)[r], F32(H_OFF_MOM)[r], g, theta, s0, s1, s2);
}

/* ---- threads ---- */
static void barrier(const Ctx* c) {
  barrier_wait((int*)c->h + H_BAR_COUNT, (int*)c->h + H_BAR_GEN, c->T, 0);
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
