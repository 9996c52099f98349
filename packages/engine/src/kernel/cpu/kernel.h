/*
 * The region's header: int32 words at the start of the region. layout.ts writes them (its `H` table
 * mirrors this one word for word; KERNEL_MAGIC changes whenever either changes).
 */
#ifndef HYPERENSEMBLE_KERNEL_H
#define HYPERENSEMBLE_KERNEL_H

#define KERNEL_MAGIC 0x4845a003
#define KERNEL_BLOCK 64 /* points per block: a multiple of every build's lane count */
#define KERNEL_MAX_LAYERS 5

enum { ACT_TANH = 0, ACT_SIGMOID = 1, ACT_RELU = 2, ACT_LINEAR = 3 };
enum { OPT_ADAM = 0, OPT_NADAM = 1, OPT_AMSGRAD = 2, OPT_RMSPROP = 3, OPT_SGD = 4, OPT_ADADELTA = 5 };

enum {
  H_MAGIC = 0,
  H_BLOCK,
  H_LANES,
  H_THREADS,
  H_R,
  H_NP,
  H_LAYERS,
  H_ACT,
  H_OPT,
  H_P,
  H_STEP,
  H_SIZES, /* KERNEL_MAX_LAYERS + 1 words */
  H_OFF_X = H_SIZES + KERNEL_MAX_LAYERS + 1,
  H_OFF_Y,
  H_OFF_PW,
  H_OFF_PARAMS,
  H_OFF_SLOT0,
  H_OFF_SLOT1,
  H_OFF_SLOT2,
  H_OFF_LOSS,
  H_OFF_LR,
  H_OFF_CLIP,
  H_OFF_MOM,
  H_OFF_ACTIVE,
  H_OFF_SCRATCH,
  H_SCRATCH_STRIDE,
  H_SCR_ACT,
  H_SCR_D0,
  H_SCR_D1,
  H_SCR_GACC,
  H_SCR_GRAD,
  H_SCR_SLOTS,
  H_SCR_SHADOW,
  H_SLOT_STRIDE,
  H_BAR_COUNT,
  H_BAR_GEN,
  H_CTL_GEN, /* host → workers: generation of the command */
  H_CTL_CMD, /* 1: run, 2: exit */
  H_CTL_STEPS,
  H_CTL_DONE, /* workers → host: threads finished */
  H_CTL_RC,   /* workers → host: first non-zero return code */
  H_WORDS
};

#define KERNEL_EXPORT __attribute__((visibility("default")))

int kernel_run(char* base, int t, int steps);
int kernel_lanes(void);
int kernel_block(void);

#endif
