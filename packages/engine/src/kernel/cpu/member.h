/*
 * The training kernel's region (member.c): int32 header words at the start of the region, then the
 * arrays at the byte offsets the header names. memberLayout.ts writes them (its word list mirrors
 * this enum word for word; MEMBER_MAGIC changes whenever either changes).
 */
#ifndef HYPERENSEMBLE_MEMBER_H
#define HYPERENSEMBLE_MEMBER_H
#include "kernel.h"

#define MEMBER_MAGIC 0x4845b002

enum { PRE_NONE = 0, PRE_FIXED = 1, PRE_TRAINABLE = 2 };
enum { HEAD_FK = 0, HEAD_SELECT = 1 };
/* what a run computes: epochs of training, the loss and gradient (no update), predictions */
enum { MODE_TRAIN = 0, MODE_GRADIENT = 1, MODE_PREDICT = 2 };

enum {
  M_MAGIC = 0,
  M_BLOCK,
  M_LANES,
  M_THREADS,
  M_S, /* members in the stack now (compaction lowers it) */
  M_G,
  M_GP, /* G rounded up to KERNEL_BLOCK */
  M_N,
  M_L,
  M_ACT,
  M_OPT,
  M_P,
  M_PRE,
  M_HEAD,
  M_NBLK, /* covariance blocks */
  M_BMAX, /* largest block */
  M_ALPHA, /* offset of α in a parameter row (β follows F later) */
  M_HSUM, /* hidden units of all layers */
  M_GFP, /* G·F rounded up to 8: the row stride of FK and of the output buffers */
  M_EPOCH, /* epochs run so far: the optimiser's step counter */
  M_MODE,
  M_NPRED, /* MODE_PREDICT: rows in the prediction area */
  M_SIZES, /* KERNEL_MAX_LAYERS + 1 words */
  M_OFF_X = M_SIZES + KERNEL_MAX_LAYERS + 1, /* [D][GP] */
  M_OFF_LX,    /* [G] ln x */
  M_OFF_L1X,   /* [G] ln(1 − x) */
  M_OFF_FK,    /* [N][G·F] */
  M_OFF_SEL,   /* int [N]: model output of each point */
  M_OFF_BPTS,  /* int [NBLK][BMAX]: point at each block slot, −1 when empty */
  M_OFF_WHIT,  /* [S][NBLK][BMAX][BMAX] */
  M_OFF_DATA,  /* [S][N] */
  M_OFF_WTR,   /* [S][N]: 1/max(1, |train|) at training points, else 0 */
  M_OFF_WVA,   /* [S][N]: the same for validation points */
  M_OFF_PF,    /* [S][G·F] fixed preprocessing factor */
  M_OFF_PARAMS,
  M_OFF_BEST,
  M_OFF_SLOT0,
  M_OFF_SLOT1,
  M_OFF_SLOT2, /* each [S][P] */
  M_OFF_LR,    /* per member: float learning rate, clipnorm, momentum, positivity λ, dropout scale */
  M_OFF_CLIP,
  M_OFF_MOM,
  M_OFF_LAMBDA,
  M_OFF_DSCALE,
  M_OFF_DLIM,     /* uint32: keep a unit when its draw ≤ this (rate 0: no draws) */
  M_OFF_HASDROP,  /* int: 1 when the member draws masks */
  M_OFF_PATIENCE, /* int */
  M_OFF_HASVAL,   /* int */
  M_OFF_ACTIVE,   /* int */
  M_OFF_BESTVAL,  /* float, +∞ before the first epoch */
  M_OFF_BESTEPOCH,
  M_OFF_STOPEPOCH, /* int */
  M_OFF_TRAIN,
  M_OFF_VAL,
  M_OFF_PEN,      /* float: last losses */
  M_OFF_RNG,      /* uint32 [S][4]: sfc32 state (rng.ts TrialRng) */
  M_OFF_GRADOUT,  /* [S][P]: MODE_GRADIENT's gradient */
  M_OFF_GLOSS,    /* [S][3]: MODE_GRADIENT's training chi2, validation chi2, penalty */
  M_OFF_PPARAMS,  /* [NPRED][P]: MODE_PREDICT's parameters */
  M_OFF_PT,       /* [NPRED][N] predictions */
  M_OFF_POUT,     /* [NPRED][G·F] model outputs */
  M_OFF_SCRATCH,
  M_SCRATCH_STRIDE,
  M_SCR_Y,    /* per block [HSUM][64]: activation outputs */
  M_SCR_A,    /* the same with dropout masks applied */
  M_SCR_M,    /* the masks */
  M_SCR_H,    /* per block [F][64]: network outputs */
  M_SCR_OUT,  /* [G·F] model outputs (preprocessing applied) */
  M_SCR_PF,   /* [G·F] preprocessing factor */
  M_SCR_DOUT, /* [G·F] */
  M_SCR_T,    /* [N] predictions */
  M_SCR_DT,   /* [N] */
  M_SCR_Z,    /* [2][BMAX] */
  M_SCR_D0,
  M_SCR_D1,   /* [maxUnits][64] */
  M_SCR_GACC, /* P vectors */
  M_SCR_GRAD, /* [P] */
  M_BAR_COUNT,
  M_BAR_GEN,
  M_NEXT, /* the next member to take in this epoch */
  M_CTL_GEN,
  M_CTL_CMD,
  M_CTL_STEPS,
  M_CTL_DONE,
  M_CTL_RC,
  M_WORDS
};

int member_run(char* base, int t, int steps);

#endif
