"""cuda_library: compiles .cu files with the toolkit's nvcc into a cc_library.

Code is generated for every architecture in TRAWL_CUDA_ARCHS (see cuda_configure.bzl): SASS for
each, plus PTX for the highest so newer cards can JIT it.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")
load("@local_cuda//:defs.bzl", "CUDA_ARCHS", "NVCC")

def _gencode_flags(archs):
    flags = ["--generate-code=arch=compute_%s,code=sm_%s" % (a, a) for a in archs]
    top = archs[-1]
    return flags + ["--generate-code=arch=compute_%s,code=compute_%s" % (top, top)]

def _cuda_objects_impl(ctx):
    cc_tc = find_cpp_toolchain(ctx)
    cctx = cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps]).compilation_context
    args = ["-std=c++17", "-O3", "-Xcompiler", "-fPIC", "-ccbin", cc_tc.compiler_executable,
            "-I.", "-I" + ctx.bin_dir.path, "-I" + ctx.genfiles_dir.path]
    args += ["-I" + d for d in cctx.includes.to_list() + cctx.quote_includes.to_list()]
    for d in cctx.system_includes.to_list():
        args += ["-isystem", d]  # nvcc rejects the joined "-isystemDIR" form
    args += ["-D" + d for d in cctx.defines.to_list()]
    args += _gencode_flags(CUDA_ARCHS) + ctx.attr.nvcc_flags
    inputs = depset(ctx.files.srcs + ctx.files.hdrs, transitive = [cctx.headers, cc_tc.all_files])
    outs = []
    for src in ctx.files.srcs:
        out = ctx.actions.declare_file("_objs/%s/%s.o" % (ctx.label.name, src.basename[:-len(".cu")]))
        ctx.actions.run(
            executable = NVCC,  # by absolute path: nvcc finds cicc/ptxas relative to argv[0]
            arguments = args + ["-c", src.path, "-o", out.path],
            inputs = inputs,
            outputs = [out],
            mnemonic = "NvccCompile",
            progress_message = "nvcc %s (sm_%s)" % (src.short_path, ",".join(CUDA_ARCHS)),
            use_default_shell_env = True,
        )
        outs.append(out)
    return [DefaultInfo(files = depset(outs))]

_cuda_objects = rule(
    implementation = _cuda_objects_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".cu"]),
        "hdrs": attr.label_list(allow_files = [".h", ".cuh"]),
        "deps": attr.label_list(providers = [CcInfo]),
        "nvcc_flags": attr.string_list(),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)

def cuda_library(name, srcs, hdrs = [], deps = [], nvcc_flags = [], **kwargs):
    """A cc_library of CUDA code. srcs are .cu files; deps are cc_library targets."""
    _cuda_objects(
        name = name + "_cu_objs",
        srcs = srcs,
        hdrs = hdrs,
        deps = deps + ["@local_cuda//:cuda_headers"],
        nvcc_flags = nvcc_flags,
        tags = kwargs.get("tags", []),
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name,
        srcs = [name + "_cu_objs"],
        hdrs = hdrs,
        deps = deps + ["@local_cuda//:cudart"],
        linkstatic = True,
        **kwargs
    )
