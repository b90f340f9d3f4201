"""Repository rule for the local CUDA toolkit.

Creates @local_cuda with the toolkit's headers and runtime libraries, and a `defs.bzl` that records
the CUDA architectures to compile for, from TRAWL_CUDA_ARCHS (a CMake-style list such as "90" or
"80;90"; default "90", H100/H200). Changing the variable re-runs this rule.
"""

_DEFAULT_ARCHS = "90"

def _cuda_configure_impl(ctx):
    cuda_home = ctx.os.environ.get("CUDA_HOME", "/usr/local/cuda")
    archs_text = ctx.os.environ.get("TRAWL_CUDA_ARCHS", _DEFAULT_ARCHS).strip() or _DEFAULT_ARCHS
    archs = [a.strip() for a in archs_text.replace(",", ";").split(";") if a.strip()]
    for a in archs:
        if not a.isdigit():
            fail("TRAWL_CUDA_ARCHS=%r: expected a list of compute capabilities like \"90\" or \"80;90\"" % archs_text)
    if not ctx.path(cuda_home + "/bin/nvcc").exists:
        fail("no CUDA toolkit at %s (nvcc not found): install CUDA 13 or set CUDA_HOME, then run tools/setup.sh" % cuda_home)
    for entry in ["include", "lib64", "bin"]:
        ctx.symlink(cuda_home + "/" + entry, entry)
    ctx.file("defs.bzl", "CUDA_ARCHS = %r\nNVCC = %r\n" % (archs, cuda_home + "/bin/nvcc"))
    ctx.template("BUILD", ctx.attr._build_file, {})

cuda_configure = repository_rule(
    implementation = _cuda_configure_impl,
    environ = ["TRAWL_CUDA_ARCHS", "CUDA_HOME"],
    local = True,
    attrs = {"_build_file": attr.label(default = "//third_party:cuda.BUILD")},
)
