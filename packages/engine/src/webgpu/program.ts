/**
 * A WGSL compute program declared once, in the manner of tfjs-backend-webgpu's `WebGPUProgram`: its
 * bindings (group 0, numbered in declaration order), its workgroup size and its code. The shader's
 * declarations and the bind groups are both generated from the one list, so they cannot drift apart:
 * a bind group names the buffer for each binding by role, and a missing one is an error here, not a
 * validation failure inside Dawn.
 */

export type BindingAccess = "uniform" | "read" | "read_write";

export interface ProgramBinding {
  /** The WGSL variable name; bind groups pass the buffer under this name. */
  name: string;
  access: BindingAccess;
  /** Shape of the data, for readers of the generated WGSL (e.g. "[R][P] parameters"). */
  note?: string;
}

export interface KernelProgram {
  label: string;
  /** Binding i of group 0 is bindings[i]; a "uniform" binding is the `U` block of `uniformStruct`. */
  bindings: ProgramBinding[];
  /** Threads per workgroup, available to the code as WORKGROUP_SIZE. */
  workgroupSize: number;
  /** The uniform block's struct (WGSL), when a binding is "uniform". */
  uniformStruct?: string;
  /**
   * Everything after the declarations: constants, workgroup memory, helpers and the entry point,
   * declared `@compute @workgroup_size(WORKGROUP_SIZE) fn main(…)`.
   */
  body: string;
}

/** A binding, or none when `include` is false (optional bindings of a program's variants). */
export function bind(name: string, access: BindingAccess, note?: string, include = true): ProgramBinding[] {
  return include ? [{ name, access, ...(note ? { note } : {}) }] : [];
}

/** The program's WGSL source: its declarations, then its body. */
export function programSource(p: KernelProgram): string {
  const decls = p.bindings.map((b, i) => {
    const head = `@group(0) @binding(${i}) var`;
    const line =
      b.access === "uniform"
        ? `${head}<uniform> ${b.name}: U;`
        : `${head}<storage, ${b.access}> ${b.name}: array<f32>;`;
    return b.note ? `${line.padEnd(64)} // ${b.note}` : line;
  });
  if (p.bindings.some((b) => b.access === "uniform") && !p.uniformStruct)
    throw new Error(`${p.label}: a uniform binding needs the program's uniformStruct`);
  return [p.uniformStruct ?? "", ...decls, `const WORKGROUP_SIZE = ${p.workgroupSize}u;`, p.body].join("\n");
}

/** Compile a program into a compute pipeline (asynchronously), reporting WGSL errors by line. */
export async function compileProgram(device: GPUDevice, p: KernelProgram): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code: programSource(p), label: p.label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((x) => x.type === "error");
  if (errors.length)
    throw new Error(
      `${p.label}: WGSL errors:\n${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join("\n")}`,
    );
  return device.createComputePipelineAsync({
    label: p.label,
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
}

/** The bind group of a compiled program, its buffers given by binding name. */
export function bindProgram(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  p: KernelProgram,
  buffers: Partial<Record<string, GPUBuffer>>,
): GPUBindGroup {
  return device.createBindGroup({
    label: p.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: p.bindings.map((b, binding) => {
      const buffer = buffers[b.name];
      if (!buffer) throw new Error(`${p.label}: no buffer for binding ${binding} (${b.name})`);
      return { binding, resource: { buffer } };
    }),
  });
}
