/*
 * N-API glue of the native build: compiled without AVX so that loading the addon on a CPU without
 * AVX2/FMA is safe; `supported()` asks the CPU before anything calls into kernel.c (built with
 * -mavx2 -mfma). The region is a SharedArrayBuffer that every worker thread passes in.
 */
#include <node_api.h>
#include <stdint.h>
#include "kernel.h"
#include "member.h"

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

/* base address of a Uint8Array (over a SharedArrayBuffer) */
static char* view_data(napi_env env, napi_value view) {
  napi_typedarray_type type;
  size_t length, offset;
  void* data = 0;
  napi_value buffer;
  if (napi_get_typedarray_info(env, view, &type, &length, &data, &buffer, &offset) != napi_ok) return 0;
  return (char*)data;
}

static napi_value supported(napi_env env, napi_callback_info info) {
  (void)info;
  __builtin_cpu_init();
  napi_value out;
  napi_get_boolean(env, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"), &out);
  return out;
}

/* address(view) % 64, so that the host can align the region */
static napi_value misalignment(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, 0, 0);
  char* p = view_data(env, argv[0]);
  return make_int(env, p ? (int64_t)((uintptr_t)p % 64) : -1);
}

/* run(view, offset, thread, steps) */
static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, 0, 0);
  char* p = view_data(env, argv[0]);
  int64_t off;
  int32_t t, steps;
  napi_get_value_int64(env, argv[1], &off);
  napi_get_value_int32(env, argv[2], &t);
  napi_get_value_int32(env, argv[3], &steps);
  if (!p) return make_int(env, -2);
  return make_int(env, kernel_run(p + off, t, steps));
}

/* memberRun(view, offset, thread, steps): member.c's training kernel */
static napi_value member(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, 0, 0);
  char* p = view_data(env, argv[0]);
  int64_t off;
  int32_t t, steps;
  napi_get_value_int64(env, argv[1], &off);
  napi_get_value_int32(env, argv[2], &t);
  napi_get_value_int32(env, argv[3], &steps);
  if (!p) return make_int(env, -2);
  return make_int(env, member_run(p + off, t, steps));
}

static napi_value lanes(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, kernel_lanes());
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"supported", 0, supported, 0, 0, 0, napi_enumerable, 0},
      {"misalignment", 0, misalignment, 0, 0, 0, napi_enumerable, 0},
      {"run", 0, run, 0, 0, 0, napi_enumerable, 0},
      {"memberRun", 0, member, 0, 0, 0, napi_enumerable, 0},
      {"lanes", 0, lanes, 0, 0, 0, napi_enumerable, 0},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
