/*
 * The fused CPU training kernel of kernel/kernel.ts: for each member of a stack, one epoch is the
 * dropout masks (sfc32, rng.ts TrialRng, drawn here), the forward pass over the model rows in blocks
 * of KERNEL_BLOCK points, preprocessing, the head (FK map or select), χ² through the member's block
 * whitening, the positivity penalty, back-propagation, early-stopping bookkeeping with best
 * parameters, clipping and the optimiser, with nothing handed back to the host in between.
 *
 * Threads take whole members from a shared counter (a member's work is never split, so members are
 * independent and the numbers do not depend on the thread count); they meet once per epoch, where the
 * last to arrive resets the counter. The host (memberLayout.ts) lays out the region; this file only
 * reads offsets from its header.
 */
#include "member.h"
#include "simd.h"

typedef struct {
  char* base;
  int* h;
  int T, S, G, GP, N, L, act, opt, P, pre, head, NBLK, BMAX, alpha, HSUM, GFP, F, D, mode;
  int netP; /* parameters of the layers (α, β follow) */
  const int* sizes;
  long wOff[KERNEL_MAX_LAYERS], bOff[KERNEL_MAX_LAYERS];
  int hOff[KERNEL_MAX_LAYERS]; /* first unit of hidden layer l among all hidden units */
} MCtx;

#define MF(off) ((float*)(c->base + (long)c->h[(off)]))
#define MI(off) ((int*)(c->base + (long)c->h[(off)]))
#define MU(off) ((unsigned*)(c->base + (long)c->h[(off)]))

static void mctx_init(MCtx* c, char* base) {
  int* h = (int*)base;
  c->base = base;
  c->h = h;
  c->T = h[M_THREADS];
  c->S = h[M_S];
  c->G = h[M_G];
  c->GP = h[M_GP];
  c->N = h[M_N];
  c->L = h[M_L];
  c->act = h[M_ACT];
  c->opt = h[M_OPT];
  c->P = h[M_P];
  c->pre = h[M_PRE];
  c->head = h[M_HEAD];
  c->NBLK = h[M_NBLK];
  c->BMAX = h[M_BMAX];
  c->alpha = h[M_ALPHA];
  c->HSUM = h[M_HSUM];
  c->GFP = h[M_GFP];
  c->mode = h[M_MODE];
  c->sizes = h + M_SIZES;
  c->D = c->sizes[0];
  c->F = c->sizes[c->L];
  long off = 0;
  int hu = 0;
  for (int l = 0; l < c->L; l++) {
    c->wOff[l] = off;
    c->bOff[l] = off + (long)c->sizes[l] * c->sizes[l + 1];
    off += (long)c->sizes[l] * c->sizes[l + 1] + c->sizes[l + 1];
    c->hOff[l] = hu;
    if (l + 1 < c->L) hu += c->sizes[l + 1];
  }
  c->netP = (int)off;
}

typedef struct {
  float *Y, *A, *M, *H, *out, *pf, *dout, *T, *dT, *Z, *d0, *d1, *grad;
  vf* gacc;
} MScratch;

static void mscratch_init(const MCtx* c, int t, MScratch* s) {
  char* p = c->base + (long)c->h[M_OFF_SCRATCH] + (long)t * c->h[M_SCRATCH_STRIDE];
  const int* h = c->h;
  s->Y = (float*)(p + h[M_SCR_Y]);
  s->A = (float*)(p + h[M_SCR_A]);
  s->M = (float*)(p + h[M_SCR_M]);
  s->H = (float*)(p + h[M_SCR_H]);
  s->out = (float*)(p + h[M_SCR_OUT]);
  s->pf = (float*)(p + h[M_SCR_PF]);
  s->dout = (float*)(p + h[M_SCR_DOUT]);
  s->T = (float*)(p + h[M_SCR_T]);
  s->dT = (float*)(p + h[M_SCR_DT]);
  s->Z = (float*)(p + h[M_SCR_Z]);
  s->d0 = (float*)(p + h[M_SCR_D0]);
  s->d1 = (float*)(p + h[M_SCR_D1]);
  s->gacc = (vf*)(p + h[M_SCR_GACC]);
  s->grad = (float*)(p + h[M_SCR_GRAD]);
}

/* e^x in double (no libm in the WebAssembly build): x = n ln2 + r, Taylor series of e^r. */
static double exp_d(double x) {
  if (x > 709.) return 1. / 0.;
  if (x < -745.) return 0.;
  double n = __builtin_floor(x * 1.4426950408889634 + 0.5);
  double r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
  double p = 1. / 6227020800.;
  const double inv[] = {1. / 479001600., 1. / 39916800., 1. / 3628800., 1. / 362880., 1. / 40320., 1. / 5040.,
                        1. / 720.,       1. / 120.,      1. / 24.,      1. / 6.,      1. / 2.,     1.,
                        1.};
  for (int i = 0; i < 13; i++) p = p * r + inv[i];
  int k = (int)n, k1 = k / 2, k2 = k - k1;
  union {
    double d;
    unsigned long long u;
  } a, b;
  a.u = (unsigned long long)(k1 + 1023) << 52;
  b.u = (unsigned long long)(k2 + 1023) << 52;
  return p * a.d * b.d;
}

/* sfc32 (rng.ts TrialRng.nextUint32) on a member's state a, b, c, d */
static unsigned sfc32(unsigned* st) {
  unsigned t = st[0] + st[1] + st[3];
  st[3] += 1;
  st[0] = st[1] ^ (st[1] >> 9);
  st[1] = st[2] + (st[2] << 3);
  st[2] = ((st[2] << 21) | (st[2] >> 11)) + t;
  return t;
}

/* One epoch of member p's masks (kernel.ts "Dropout streams"), in the blocks' [unit][64] layout. */
static void draw_masks(const MCtx* c, const MScratch* s, int p) {
  unsigned* st = MU(M_OFF_RNG) + 4L * p;
  const unsigned lim = MU(M_OFF_DLIM)[p];
  const float scale = MF(M_OFF_DSCALE)[p];
  for (int l = 0; l + 1 < c->L; l++) {
    const int units = c->sizes[l + 1];
    for (int g = 0; g < c->G; g++) {
      float* m = s->M + (long)(g / KERNEL_BLOCK) * c->HSUM * KERNEL_BLOCK + (long)c->hOff[l] * KERNEL_BLOCK +
                 g % KERNEL_BLOCK;
      for (int u = 0; u < units; u++) m[(long)u * KERNEL_BLOCK] = sfc32(st) <= lim ? scale : 0.f;
    }
  }
}

/* Forward pass of parameters th over every block of model rows; network outputs to s->H. */
static void forward_all(const MCtx* c, const MScratch* s, const float* th, int masked) {
  const float* X = MF(M_OFF_X);
  const long hb = (long)c->HSUM * KERNEL_BLOCK;
  for (int b = 0; b < c->GP / KERNEL_BLOCK; b++) {
    const float* in = X + (long)b * KERNEL_BLOCK;
    int lda = c->GP;
    for (int l = 0; l < c->L; l++) {
      const int nin = c->sizes[l], nout = c->sizes[l + 1];
      if (l + 1 == c->L) {
        layer_forward(in, lda, nin, th + c->wOff[l], th + c->bOff[l], nout, s->H + (long)b * c->F * KERNEL_BLOCK);
        break;
      }
      const long at = b * hb + (long)c->hOff[l] * KERNEL_BLOCK;
      float* y = s->Y + at;
      layer_forward(in, lda, nin, th + c->wOff[l], th + c->bOff[l], nout, y);
      activate(y, nout * KERNEL_BLOCK, c->act);
      if (masked) {
        vf* a = (vf*)(s->A + at);
        const vf* m = (const vf*)(s->M + at);
        const vf* yv = (const vf*)y;
        for (int i = 0; i < nout * KERNEL_BLOCK / LANES; i++) a[i] = yv[i] * m[i];
        in = s->A + at;
      } else {
        in = y;
      }
      lda = KERNEL_BLOCK;
    }
  }
}

/* The preprocessing factor x^α (1−x)^β [G·F] of a parameter row, as TF.js computes it (float32). */
static void prefactor(const MCtx* c, const float* th, float* pf) {
  const float* lx = MF(M_OFF_LX);
  const float* l1 = MF(M_OFF_L1X);
  const float* al = th + c->alpha;
  const float* be = al + c->F;
  for (int g = 0; g < c->G; g++)
    for (int f = 0; f < c->F; f++) {
      float u = al[f] * lx[g];
      float v = be[f] * l1[g];
      float w = u + v;
      pf[g * c->F + f] = (float)exp_d((double)w);
    }
}

/* Model outputs (preprocessing applied) and predictions T from s->H. */
static void outputs_and_head(const MCtx* c, const MScratch* s, const float* pf) {
  const int F = c->F, G = c->G, GFP = c->GFP;
  for (int g = 0; g < G; g++) {
    const float* hrow = s->H + (long)(g / KERNEL_BLOCK) * F * KERNEL_BLOCK + g % KERNEL_BLOCK;
    for (int f = 0; f < F; f++) {
      float hv = hrow[(long)f * KERNEL_BLOCK];
      s->out[g * F + f] = pf ? hv * pf[g * F + f] : hv;
    }
  }
  for (int j = G * F; j < GFP; j++) s->out[j] = 0.f;
  if (c->head == HEAD_SELECT) {
    const int* sel = MI(M_OFF_SEL);
    for (int i = 0; i < c->N; i++) s->T[i] = s->out[sel[i]];
  } else {
    const float* fk = MF(M_OFF_FK);
    const vf* o = (const vf*)s->out;
    for (int i = 0; i < c->N; i++) {
      const vf* row = (const vf*)(fk + (long)i * GFP);
      vf acc = splat(0.f);
      for (int j = 0; j < GFP / LANES; j++) acc = FMA(row[j], o[j], acc);
      s->T[i] = hsum(acc);
    }
  }
}

/* χ² of member p's training and validation sets from s->T; with `grad`, d χ²_train / d T in s->dT. */
static void chi2(const MCtx* c, const MScratch* s, int p, float* train, float* val, int grad) {
  const int B = c->BMAX, N = c->N;
  const int* pts = MI(M_OFF_BPTS);
  const float* W = MF(M_OFF_WHIT) + (long)p * c->NBLK * B * B;
  const float* data = MF(M_OFF_DATA) + (long)p * N;
  const float* wtr = MF(M_OFF_WTR) + (long)p * N;
  const float* wva = MF(M_OFF_WVA) + (long)p * N;
  float* e = s->Z;
  float* q = s->Z + B;
  double ct = 0, cv = 0;
  if (B == 1) {
    /* a diagonal covariance (one point per block): the loop below without its per-block loops, which
       took a third of a member's epoch on 32,000 points; the same operations in the same order */
    for (int k = 0; k < c->NBLK; k++) {
      const int i = pts[k];
      const float zf = (float)((double)W[k] * (s->T[i] - data[i]));
      const float wt = wtr[i], wv = wva[i];
      ct += (double)wt * zf * zf;
      cv += (double)wv * zf * zf;
      if (grad) s->dT[i] = (float)((double)(2.f * wt * zf) * W[k]);
    }
    *train = (float)ct;
    *val = (float)cv;
    return;
  }
  for (int k = 0; k < c->NBLK; k++, pts += B, W += (long)B * B) {
    for (int a = 0; a < B; a++) e[a] = pts[a] >= 0 ? s->T[pts[a]] - data[pts[a]] : 0.f;
    for (int a = 0; a < B; a++) {
      q[a] = 0.f;
      if (pts[a] < 0) continue;
      const float* w = W + (long)a * B;
      double z = 0;
      for (int b = 0; b < B; b++) z += (double)w[b] * e[b];
      const float zf = (float)z;
      const float wt = wtr[pts[a]], wv = wva[pts[a]];
      ct += (double)wt * zf * zf;
      cv += (double)wv * zf * zf;
      q[a] = 2.f * wt * zf;
    }
    if (!grad) continue;
    for (int b = 0; b < B; b++) {
      if (pts[b] < 0) continue;
      double d = 0;
      for (int a = 0; a < B; a++) d += (double)q[a] * W[(long)a * B + b];
      s->dT[pts[b]] = (float)d;
    }
  }
  *train = (float)ct;
  *val = (float)cv;
}

/* Σ relu(−out); with λ > 0 and `dout`, adds its gradient λ d/d out. */
static float positivity(const MCtx* c, const MScratch* s, float lambda, int grad) {
  double pen = 0;
  for (int j = 0; j < c->G * c->F; j++) {
    float o = s->out[j];
    if (o < 0.f) {
      pen -= o;
      if (grad) s->dout[j] -= lambda;
    }
  }
  return (float)pen;
}

/* d loss / d out from s->dT through the head into s->dout (the penalty's part is added later). */
static void head_backward(const MCtx* c, const MScratch* s) {
  const int GFP = c->GFP;
  for (int j = 0; j < GFP; j++) s->dout[j] = 0.f;
  if (c->head == HEAD_SELECT) {
    const int* sel = MI(M_OFF_SEL);
    for (int i = 0; i < c->N; i++) s->dout[sel[i]] += s->dT[i];
    return;
  }
  const float* fk = MF(M_OFF_FK);
  vf* d = (vf*)s->dout;
  for (int i = 0; i < c->N; i++) {
    const vf* row = (const vf*)(fk + (long)i * GFP);
    const vf t = splat(s->dT[i]);
    for (int j = 0; j < GFP / LANES; j++) d[j] = FMA(row[j], t, d[j]);
  }
}

/* Gradient into s->grad from s->dout: preprocessing exponents, then the layers block by block. */
static void backward(const MCtx* c, const MScratch* s, const float* th, const float* pf, int masked) {
  const int F = c->F, G = c->G;
  const float* X = MF(M_OFF_X);
  const long hb = (long)c->HSUM * KERNEL_BLOCK;
  for (int j = 0; j < c->netP; j++) s->gacc[j] = splat(0.f);
  for (int b = 0; b < c->GP / KERNEL_BLOCK; b++) {
    float* D = s->d0;
    for (int f = 0; f < F; f++)
      for (int i = 0; i < KERNEL_BLOCK; i++) {
        const int g = b * KERNEL_BLOCK + i;
        D[f * KERNEL_BLOCK + i] = g < G ? (pf ? s->dout[g * F + f] * pf[g * F + f] : s->dout[g * F + f]) : 0.f;
      }
    for (int l = c->L - 1; l >= 0; l--) {
      const int nin = c->sizes[l], nout = c->sizes[l + 1];
      const long at = l > 0 ? b * hb + (long)c->hOff[l - 1] * KERNEL_BLOCK : 0;
      const float* A = l == 0 ? X + (long)b * KERNEL_BLOCK : (masked ? s->A : s->Y) + at;
      layer_wgrad(A, l == 0 ? c->GP : KERNEL_BLOCK, nin, D, nout, s->gacc + c->wOff[l], s->gacc + c->bOff[l]);
      if (l == 0) break;
      float* Dp = D == s->d0 ? s->d1 : s->d0;
      layer_dgrad(th + c->wOff[l], nin, nout, D, Dp);
      if (masked) {
        vf* dv = (vf*)Dp;
        const vf* m = (const vf*)(s->M + at);
        for (int i = 0; i < nin * KERNEL_BLOCK / LANES; i++) dv[i] *= m[i];
      }
      activation_grad(Dp, s->Y + at, nin * KERNEL_BLOCK, c->act);
      D = Dp;
    }
  }
  for (int j = 0; j < c->netP; j++) s->grad[j] = hsum(s->gacc[j]);
  if (c->pre == PRE_NONE) return;
  const float* lx = MF(M_OFF_LX);
  const float* l1 = MF(M_OFF_L1X);
  for (int f = 0; f < F; f++) {
    double ga = 0, gb = 0;
    if (c->pre == PRE_TRAINABLE)
      for (int g = 0; g < G; g++) {
        const float u = s->dout[g * F + f] * s->out[g * F + f];
        ga += (double)u * lx[g];
        gb += (double)u * l1[g];
      }
    s->grad[c->alpha + f] = (float)ga;
    s->grad[c->alpha + F + f] = (float)gb;
  }
  (void)th;
}

/* The preprocessing factor member p trains with (0: none). */
static const float* member_prefactor(const MCtx* c, const MScratch* s, int p, const float* th) {
  if (c->pre == PRE_NONE) return 0;
  if (c->pre == PRE_FIXED) return MF(M_OFF_PF) + (long)p * c->G * c->F;
  prefactor(c, th, s->pf);
  return s->pf;
}

/* kernel.ts steps 1–4 for member p at epoch e. */
static void train_member(const MCtx* c, const MScratch* s, int p, int e) {
  int* active = MI(M_OFF_ACTIVE);
  if (!active[p]) return;
  const long P = c->P;
  float* th = MF(M_OFF_PARAMS) + p * P;
  const int masked = MI(M_OFF_HASDROP)[p];
  const float lambda = MF(M_OFF_LAMBDA)[p];
  if (masked) draw_masks(c, s, p);
  const float* pf = member_prefactor(c, s, p, th);
  forward_all(c, s, th, masked);
  outputs_and_head(c, s, pf);
  float tr, va;
  chi2(c, s, p, &tr, &va, 1);
  head_backward(c, s);
  if (lambda > 0.f) positivity(c, s, lambda, 1);
  backward(c, s, th, pf, masked);
  if (masked) {
    /* the validation χ² without masks (the training χ²'s gradient is already in s->grad) */
    float unused;
    forward_all(c, s, th, 0);
    outputs_and_head(c, s, pf);
    chi2(c, s, p, &unused, &va, 0);
  }
  MF(M_OFF_TRAIN)[p] = tr;
  MF(M_OFF_VAL)[p] = va;
  const int hasVal = MI(M_OFF_HASVAL)[p];
  const float cur = hasVal ? va : 0.f;
  float* bestVal = MF(M_OFF_BESTVAL) + p;
  int* bestEpoch = MI(M_OFF_BESTEPOCH) + p;
  if (!hasVal || cur < *bestVal) {
    *bestVal = cur;
    *bestEpoch = e;
    float* best = MF(M_OFF_BEST) + p * P;
    for (long j = 0; j < P; j++) best[j] = th[j];
  }
  optimiser_step(c->opt, (int)P, e, MF(M_OFF_LR)[p], MF(M_OFF_CLIP)[p], MF(M_OFF_MOM)[p], s->grad, th,
                 MF(M_OFF_SLOT0) + p * P, MF(M_OFF_SLOT1) + p * P, MF(M_OFF_SLOT2) + p * P);
  if (hasVal && e - *bestEpoch >= MI(M_OFF_PATIENCE)[p]) {
    active[p] = 0;
    MI(M_OFF_STOPEPOCH)[p] = e;
  }
}

/* Loss terms and gradient of member p at its current parameters, without masks or any update. */
static void gradient_member(const MCtx* c, const MScratch* s, int p) {
  const long P = c->P;
  const float* th = MF(M_OFF_PARAMS) + p * P;
  const float lambda = MF(M_OFF_LAMBDA)[p];
  const float* pf = member_prefactor(c, s, p, th);
  forward_all(c, s, th, 0);
  outputs_and_head(c, s, pf);
  float tr, va;
  chi2(c, s, p, &tr, &va, 1);
  head_backward(c, s);
  const float pen = positivity(c, s, lambda, lambda > 0.f);
  backward(c, s, th, pf, 0);
  float* out = MF(M_OFF_GLOSS) + 3 * p;
  out[0] = tr;
  out[1] = va;
  out[2] = pen;
  float* g = MF(M_OFF_GRADOUT) + p * P;
  for (long j = 0; j < P; j++) g[j] = s->grad[j];
}

/* Predictions and model outputs of prediction row q (a fixed factor from its own exponents). */
static void predict_row(const MCtx* c, const MScratch* s, int q) {
  const long P = c->P;
  const float* th = MF(M_OFF_PPARAMS) + q * P;
  const float* pf = 0;
  if (c->pre != PRE_NONE) {
    prefactor(c, th, s->pf);
    pf = s->pf;
  }
  forward_all(c, s, th, 0);
  outputs_and_head(c, s, pf);
  float* T = MF(M_OFF_PT) + (long)q * c->N;
  float* out = MF(M_OFF_POUT) + (long)q * c->G * c->F;
  for (int i = 0; i < c->N; i++) T[i] = s->T[i];
  for (int j = 0; j < c->G * c->F; j++) out[j] = s->out[j];
}

/* Thread t's part of a run: `steps` epochs (MODE_TRAIN) or one pass of the run's mode. */
KERNEL_EXPORT int member_run(char* base, int t, int steps) {
  MCtx ctx;
  MCtx* c = &ctx;
  mctx_init(c, base);
  if (c->h[M_MAGIC] != MEMBER_MAGIC || c->h[M_BLOCK] != KERNEL_BLOCK || c->h[M_LANES] != LANES) return -1;
  MScratch s;
  mscratch_init(c, t, &s);
  const int items = c->mode == MODE_PREDICT ? c->h[M_NPRED] : c->S;
  const int epochs = c->mode == MODE_TRAIN ? steps : 1;
  int* next = c->h + M_NEXT;
  for (int k = 0; k < epochs; k++) {
    const int e = c->h[M_EPOCH] + k + 1;
    for (;;) {
      const int i = __atomic_fetch_add(next, 1, __ATOMIC_ACQ_REL);
      if (i >= items) break;
      if (c->mode == MODE_TRAIN)
        train_member(c, &s, i, e);
      else if (c->mode == MODE_GRADIENT)
        gradient_member(c, &s, i);
      else
        predict_row(c, &s, i);
    }
    barrier_wait(c->h + M_BAR_COUNT, c->h + M_BAR_GEN, c->T, next);
  }
  return 0;
}
