#!/usr/bin/env bash
# One-command setup for Trawl on a Debian bookworm machine (idempotent, cached).
#
#   ./tools/setup.sh            installs the Debian packages the build needs, builds FAISS 1.7.3
#                               with GPU support into a per-machine cache and links it as .deps/faiss
#
# Environment:
#   TRAWL_CUDA_ARCHS   CUDA architectures, CMake-style list ("90", "80;90"). Default: 90 (H100/H200).
#   CUDA_HOME          CUDA toolkit. Default: /usr/local/cuda.
#   XDG_CACHE_HOME     the cache lives in ${XDG_CACHE_HOME:-~/.cache}/trawl.
#   TRAWL_JOBS         parallel compile jobs for FAISS. Default: nproc.
#
# A second run finds everything in place and finishes in seconds. Safe to interrupt: FAISS is
# built in a scratch directory and moved into the cache only when complete.
set -euo pipefail

readonly FAISS_VERSION=1.7.3
readonly FAISS_DEB_VERSION=1.7.3-2
readonly FAISS_SHA256=3e4fac26d8c9e9008ecea4ae5fc414c658998fce4ba75835058b1a71d3516002
readonly MIN_FREE_GB=5

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
ARCHS=${TRAWL_CUDA_ARCHS:-90}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/trawl
JOBS=${TRAWL_JOBS:-$(nproc)}

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages -------------------------------------------------------------------
PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-rules-proto bazel-skylib
  g++ cmake ninja-build pkg-config
  libabsl-dev libgoogle-glog-dev libgflags-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev libopenblas-openmp-dev
  libsimdjson-dev libhdf5-dev zlib1g-dev libicu-dev
  librsvg2-bin clang-format clang-14 libclang-rt-14-dev
  python3-faiss python3-numpy
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q || die "apt-get update failed: check the network or apt sources"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
else
  say "Debian packages: all ${#PACKAGES[@]} present"
fi

# --- 2. CUDA toolkit ----------------------------------------------------------------------
[ -x "$CUDA_HOME/bin/nvcc" ] || die "no CUDA toolkit at $CUDA_HOME (nvcc not found): install CUDA 13 or set CUDA_HOME"
CUDA_VERSION=$("$CUDA_HOME/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
[ -n "$CUDA_VERSION" ] || die "could not read the CUDA version from $CUDA_HOME/bin/nvcc --version"
say "CUDA $CUDA_VERSION at $CUDA_HOME; architectures: $ARCHS"

# --- 3. FAISS with GPU support, cached per (version, CUDA, archs) -------------------------
KEY="faiss-${FAISS_VERSION}-cuda${CUDA_VERSION}-sm${ARCHS//;/_}"
PREFIX="$CACHE/$KEY"
if [ -f "$PREFIX/.complete" ]; then
  say "FAISS: cached at $PREFIX"
else
  mkdir -p "$CACHE"
  free_gb=$(df -Pk "$CACHE" | awk 'NR==2 {print int($4 / 1048576)}')
  ((free_gb >= MIN_FREE_GB)) || die "only ${free_gb} GB free under $CACHE; building FAISS needs ${MIN_FREE_GB} GB"
  SRC_DIR="$CACHE/src"
  TARBALL="$SRC_DIR/faiss_${FAISS_VERSION}.orig.tar.gz"
  mkdir -p "$SRC_DIR"
  if ! echo "$FAISS_SHA256  $TARBALL" | sha256sum -c --status 2>/dev/null; then
    say "downloading FAISS $FAISS_DEB_VERSION source package from Debian"
    # The system has no deb-src entry: derive one from its own deb sources, in a private dir.
    APT_DIR="$SRC_DIR/apt"; mkdir -p "$APT_DIR/sources" "$APT_DIR/lists/partial"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -e "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" > "$APT_DIR/sources/$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ]; then
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$APT_DIR/sources/from-list.list"
    fi
    APT_OPTS=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$APT_DIR/sources"
              -o Dir::State::Lists="$APT_DIR/lists")
    apt-get "${APT_OPTS[@]}" update -q >/dev/null || die "apt-get update (deb-src) failed: is Debian's archive reachable?"
    (cd "$SRC_DIR" && apt-get "${APT_OPTS[@]}" source --download-only "faiss=$FAISS_DEB_VERSION") \
      || die "download of FAISS $FAISS_DEB_VERSION failed: Debian's archive must be reachable"
    echo "$FAISS_SHA256  $TARBALL" | sha256sum -c --status \
      || die "checksum mismatch for $TARBALL (expected sha256 $FAISS_SHA256); delete it and rerun"
  fi
  WORK="$CACHE/build-$KEY"
  rm -rf "$WORK"; mkdir -p "$WORK"
  say "unpacking and patching FAISS (C++17 for CUDA 13's Thrust/CUB)"
  tar -xzf "$TARBALL" -C "$WORK"
  FSRC=$(find "$WORK" -maxdepth 1 -mindepth 1 -type d | head -1)
  sed -i 's/set(CMAKE_CXX_STANDARD 11)/set(CMAKE_CXX_STANDARD 17)\nset(CMAKE_CUDA_STANDARD 17)/' "$FSRC/CMakeLists.txt"
  grep -q 'CMAKE_CUDA_STANDARD 17' "$FSRC/CMakeLists.txt" || die "could not patch $FSRC/CMakeLists.txt to C++17"
  say "configuring FAISS (shared library, GPU, CUDA archs $ARCHS)"
  cmake -S "$FSRC" -B "$WORK/build" -G Ninja \
    -DFAISS_ENABLE_GPU=ON -DFAISS_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=ON \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$ARCHS" -DFAISS_OPT_LEVEL=generic \
    -DBLA_VENDOR=OpenBLAS -DCMAKE_CUDA_COMPILER="$CUDA_HOME/bin/nvcc" \
    -DCMAKE_INSTALL_PREFIX="$WORK/install" > "$WORK/cmake.log" 2>&1 \
    || die "FAISS cmake failed; see $WORK/cmake.log"
  say "building FAISS with $JOBS jobs (about 11 minutes on 2 cores for one architecture)"
  ninja -C "$WORK/build" -j "$JOBS" faiss 2>&1 | awk '/^\[/ { if (++n % 25 == 0) { print "[setup]   " $1 " " $NF; fflush() } next } { print; fflush() }' \
    || die "FAISS build failed"
  [ -f "$WORK/build/faiss/libfaiss.so" ] || die "FAISS build produced no libfaiss.so"
  cmake --install "$WORK/build" > "$WORK/install.log" 2>&1 || die "FAISS install failed; see $WORK/install.log"
  rm -rf "$PREFIX"; mv "$WORK/install" "$PREFIX"
  touch "$PREFIX/.complete"
  rm -rf "$WORK"
  say "FAISS installed at $PREFIX"
fi

# --- 4. Link the cache into the workspace -------------------------------------------------
mkdir -p "$ROOT/.deps"
ln -sfn "$PREFIX" "$ROOT/.deps/faiss"
say "ready: .deps/faiss -> $PREFIX"
