"""trawl_fuzz_test: a libFuzzer target for a parser, with its seed corpus.

Normal and sanitizer builds (`bazel test`, `--config=asan`) link tools/fuzzing/replay_main.cc and
run the corpus once as a regression test. Under `--config=fuzz` (clang-14 with -fsanitize=fuzzer)
the binary is a libFuzzer fuzzer; tools/fuzzing/fuzz.sh builds and runs every target.
"""

def trawl_fuzz_test(name, srcs, deps, copts = []):
    """Declares <name>, a cc_test replaying every file under fuzz_corpus/<name>/.

    Args:
      name: the target's name, ending in _fuzzer.
      srcs: the source defining LLVMFuzzerTestOneInput.
      deps: the parser's library.
      copts: extra compiler options.
    """
    corpus = "fuzz_corpus/" + name
    native.cc_test(
        name = name,
        size = "small",
        srcs = srcs,
        copts = copts,
        # Tests run in the runfiles tree, where the corpus keeps its workspace path.
        args = ["%s/%s" % (native.package_name(), corpus)],
        data = native.glob([corpus + "/**"]),
        tags = ["fuzz"],
        deps = deps + select({
            "//tools/fuzzing:libfuzzer": [],
            "//conditions:default": ["//tools/fuzzing:replay_main"],
        }),
    )
