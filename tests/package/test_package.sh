#!/usr/bin/env bash
# The Debian packages end to end (issue 18, docs/install.md): cpack builds lstm-lint and
# lstm-lint-replay from this build directory (no rebuild), lintian checks both (no errors),
# their control fields say what they depend on, and `dpkg -x` unpacks them into a scratch
# root, from which the installed programs, man pages and completions run:
#   lstm-lint --version, a lint of a demo notebook with --replay that finds the unpacked
#   lstm-lint-replay next to lstm-lint (PATH is empty), man -l on the three pages, and the
#   bash, zsh and fish completions.
# Usage: test_package.sh BUILD_DIR SOURCE_DIR VERSION. Skips (77) without cpack, dpkg-deb,
# lintian, man, bash, zsh or fish (bash .ci/setup --tests installs them).
set -u
BUILD=$1
SRC=$2
VERSION=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
has() { grep -qF -- "$2" <<<"$1"; }   # has TEXT NEEDLE
lacks() { ! grep -qE -- "$2" <<<"$1"; }  # lacks TEXT REGEX

for tool in cpack dpkg-deb dpkg-shlibdeps lintian man zsh fish; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (apt-get install cmake dpkg-dev lintian man-db zsh fish)"
    exit 77
  fi
done
started=$SECONDS

# ---- the version has a release section in CHANGELOG.md ----
check "CHANGELOG.md has a section for $VERSION" grep -qE "^## \[${VERSION//./\\.}\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" "$SRC/CHANGELOG.md"
check "CHANGELOG.md keeps an Unreleased section" grep -qE '^## \[Unreleased\]$' "$SRC/CHANGELOG.md"

# ---- build both packages from the existing build ----
if ! cpack --config "$BUILD/CPackConfig.cmake" -B "$T/packages" >"$T/cpack.log" 2>&1; then
  cat "$T/cpack.log"
  echo "FAIL: cpack"
  exit 1
fi
arch=$(dpkg --print-architecture)
static="$T/packages/lstm-lint_${VERSION}-1_${arch}.deb"
replay="$T/packages/lstm-lint-replay_${VERSION}-1_${arch}.deb"
check "cpack wrote lstm-lint_${VERSION}-1_${arch}.deb" test -f "$static"
check "cpack wrote lstm-lint-replay_${VERSION}-1_${arch}.deb" test -f "$replay"
[ -f "$static" ] && [ -f "$replay" ] || { echo "FAIL: no packages"; ls -l "$T/packages"; exit 1; }
echo "packages built after $((SECONDS - started)) s: $(du -k "$static" | cut -f1) KiB and $(du -k "$replay" | cut -f1) KiB"

# ---- control fields ----
sdep=$(dpkg-deb -f "$static" Depends)
rdep=$(dpkg-deb -f "$replay" Depends)
echo "lstm-lint Depends: $sdep"
echo "lstm-lint-replay Depends: $rdep"
check "lstm-lint: Version $VERSION-1" test "$(dpkg-deb -f "$static" Version)" = "$VERSION-1"
check "lstm-lint: Depends computed from the binary (libc6, libstdc++6)" bash -c 'grep -q "libc6 (>=" <<<"$1" && grep -q "libstdc++6 (>=" <<<"$1"' _ "$sdep"
check "lstm-lint: does not depend on LibTorch" lacks "$sdep" 'torch|c10|caffe'
check "lstm-lint: suggests lstm-lint-replay" test "$(dpkg-deb -f "$static" Suggests)" = "lstm-lint-replay"
check "lstm-lint-replay: depends on Debian's LibTorch runtime" grep -qE '(^|, )libtorch[0-9.]+ ' <<<"$rdep"
check "lstm-lint-replay: depends on lstm-lint of the same version" has "$rdep" "lstm-lint (= $VERSION-1)"
check "both have a description with a synopsis and a long text" \
  test "$(dpkg-deb -f "$static" Description | wc -l)" -gt 3 -a "$(dpkg-deb -f "$replay" Description | wc -l)" -gt 3
# Every package the replay package depends on exists in this system's package database (the
# dependencies dpkg-shlibdeps computed are installable here).
for p in $(sed 's/([^)]*)//g; s/|/,/g; s/,/ /g' <<<"$rdep $sdep"); do
  [ "$p" = lstm-lint ] && continue
  check "dependency $p is a known, installed package" bash -c 'dpkg-query -W -f="\${Status}" "$1" 2>/dev/null | grep -q "install ok installed"' _ "$p"
done
scontents=$(dpkg-deb -c "$static" | awk '{print $6}')
rcontents=$(dpkg-deb -c "$replay" | awk '{print $6}')
for f in ./usr/bin/lstm-lint ./usr/share/man/man1/lstm-lint.1.gz ./usr/share/man/man7/lstm-lint-rules.7.gz \
         ./usr/share/bash-completion/completions/lstm-lint ./usr/share/zsh/vendor-completions/_lstm-lint \
         ./usr/share/fish/vendor_completions.d/lstm-lint.fish ./usr/share/doc/lstm-lint/copyright \
         ./usr/share/doc/lstm-lint/changelog.Debian.gz ./usr/share/doc/lstm-lint/changelog.gz; do
  check "lstm-lint holds $f" grep -qxF -- "$f" <<<"$scontents"
done
for f in ./usr/bin/lstm-lint-replay ./usr/share/man/man1/lstm-lint-replay.1.gz ./usr/share/doc/lstm-lint-replay/copyright; do
  check "lstm-lint-replay holds $f" grep -qxF -- "$f" <<<"$rcontents"
done
check "lstm-lint does not hold lstm-lint-replay" lacks "$scontents" 'lstm-lint-replay$'
check "lstm-lint-replay does not hold lstm-lint" lacks "$rcontents" '/bin/lstm-lint$'

# ---- lintian: no errors; warnings are listed (docs/install.md explains each) ----
lint_started=$SECONDS
lintian --fail-on error --display-info --tag-display-limit 0 "$static" "$replay" >"$T/lintian.log" 2>&1
lint_rc=$?
sed 's/^/lintian: /' "$T/lintian.log"
check "lintian exits 0 with --fail-on error" test "$lint_rc" -eq 0
check "lintian reports no error" lacks "$(cat "$T/lintian.log")" '^E: '
echo "lintian took $((SECONDS - lint_started)) s"

# ---- unpack into a scratch root and run from there ----
root="$T/root"
mkdir -p "$root" "$T/home" "$T/empty-path" "$T/work"
dpkg -x "$static" "$root"
dpkg -x "$replay" "$root"
bin="$root/usr/bin/lstm-lint"
# No PATH to search and no $LSTM_LINT_REPLAY: --replay can only find the lstm-lint-replay
# unpacked next to lstm-lint.
run() { (cd "$T/work" && env -i HOME="$T/home" PATH="$T/empty-path" LC_ALL=C.UTF-8 "$@"); }

version=$(run "$bin" --version)
check "installed --version: 'lstm-lint $VERSION (commit ...)'" grep -qE "^lstm-lint ${VERSION//./\\.} \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$" <<<"$version"
check "installed --version equals the build's" test "$version" = "$("$BUILD/lstm-lint" --version)"
commit=$(sed -nE 's/.*\(commit ([0-9a-f]{12}).*/\1/p' <<<"$version")
if [ -n "$commit" ] && command -v git >/dev/null 2>&1 && git -C "$SRC" rev-parse >/dev/null 2>&1; then
  check "the commit $commit is a commit of the source tree" git -C "$SRC" cat-file -e "$commit^{commit}"
fi
check "installed lstm-lint-replay --version has the same version" \
  grep -qE "^lstm-lint-replay ${VERSION//./\\.} " < <(run "$root/usr/bin/lstm-lint-replay" --version)

cp "$SRC/examples/sine_forecast.ipynb" "$T/work/"
run "$bin" --replay --no-cache --color never sine_forecast.ipynb >"$T/replay.out" 2>"$T/replay.err"
rc=$?
check "installed lstm-lint --replay on the demo exits 1 (findings)" test $rc -eq 1
check "replay ran: no 'replay did not run' warning" lacks "$(cat "$T/replay.err")" 'replay did not run'
check "replay ran: verdicts from lstm-lint-replay" grep -qE 'replay: (CONFIRMED|NOT CONFIRMED|INCONCLUSIVE)' "$T/replay.out"
check "replay ran: no finding NOT RUN" lacks "$(cat "$T/replay.out")" 'replay: NOT RUN'
# Control: without the unpacked lstm-lint-replay, the same run cannot replay.
mv "$root/usr/bin/lstm-lint-replay" "$T/lstm-lint-replay.away"
run "$bin" --replay --no-cache --color never sine_forecast.ipynb >/dev/null 2>"$T/noreplay.err"
check "control: without lstm-lint-replay next to it, replay does not run" grep -q 'replay did not run' "$T/noreplay.err"
mv "$T/lstm-lint-replay.away" "$root/usr/bin/lstm-lint-replay"

# ---- man pages ----
man_text() { MANWIDTH=100 MANPAGER=cat PAGER=cat LC_ALL=C.UTF-8 man -l "$1" 2>"$T/man.err"; }
# As lintian does: groff's warnings for the page (none expected).
man_warnings() { LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$1" 2>&1 >/dev/null; }
page1=$(man_text "$root/usr/share/man/man1/lstm-lint.1.gz")
check "man -l lstm-lint.1.gz renders" has "$page1" "lstm-lint - lint Jupyter notebooks"
check "lstm-lint(1): no groff warnings" test -z "$(man_warnings "$root/usr/share/man/man1/lstm-lint.1.gz")"
# Every option of every command's --help is on the page, as an ASCII option (\- renders as '-').
help_options=$(for c in check rules explain server "debug values" clean "stats merge"; do run "$bin" $c --help; done |
               grep -oE '(^|[ ,])--[a-z][a-z-]+' | sed 's/^[ ,]//' | sort -u)
check "--help lists options (sanity)" test "$(wc -l <<<"$help_options")" -gt 30
for o in $help_options; do check "lstm-lint(1) documents $o" grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$page1"; done
for s in "EXIT STATUS" "CONFIGURATION" "OUTPUT FORMATS" "ENVIRONMENT" "COMMANDS"; do
  check "lstm-lint(1) has a $s section" grep -q "^$s" <<<"$page1"
done
for f in text concise json json-lines sarif github junit; do check "lstm-lint(1) describes the $f format" grep -qE "^ +$f( |$)" <<<"$page1"; done
# The configuration keys the page lists are the ones lstm-lint accepts: each in a file of its own.
for key in select ignore exclude fail-on severity per-file-ignores replay.enabled replay.budget replay.memory; do
  check "lstm-lint(1) lists the configuration key $key" grep -qE "^ +$key$" <<<"$page1"
done
printf 'select = ["LSTM1"]\nignore = ["unexecuted-cell"]\nexclude = ["scratch"]\nfail-on = "error"\n[severity]\nshuffled-timesteps = "error"\n[per-file-ignores]\n"x/*.ipynb" = ["LSTM107"]\n[replay]\nenabled = false\nbudget = 5\nmemory = 4096\n' >"$T/work/keys.toml"
run "$bin" --config keys.toml --no-cache sine_forecast.ipynb >/dev/null 2>"$T/keys.err"
check "lstm-lint accepts every key of the page" lacks "$(cat "$T/keys.err")" 'unknown key|error:'
page7=$(man_text "$root/usr/share/man/man7/lstm-lint-rules.7.gz")
check "lstm-lint-rules(7): no groff warnings" test -z "$(man_warnings "$root/usr/share/man/man7/lstm-lint-rules.7.gz")"
nrules=0
while read -r code name; do
  nrules=$((nrules + 1))
  check "lstm-lint-rules(7) has $code $name" grep -qE "^ +$code $name$" <<<"$page7"
done < <(run "$bin" rules | awk '{print $1, $2}')
check "lstm-lint rules lists rules (sanity)" test "$nrules" -ge 20
check "lstm-lint-rules(7) holds the rule docs (stale-optimizer's replay section)" has "$page7" "How replay confirms it"
pager=$(man_text "$root/usr/share/man/man1/lstm-lint-replay.1.gz")
check "lstm-lint-replay(1) renders its --help" has "$pager" "--memory-mb"
check "lstm-lint-replay(1): no groff warnings" test -z "$(man_warnings "$root/usr/share/man/man1/lstm-lint-replay.1.gz")"

# ---- bash completion: the installed function, called as bash calls it ----
bashcomp="$root/usr/share/bash-completion/completions/lstm-lint"
complete_bash() {  # complete_bash WORD... (the last word is the one being completed)
  (cd "${CDIR:-$T/work}" && bash --norc --noprofile -c '
    source "$1"; shift
    complete -p lstm-lint | grep -q -- "-F _lstm_lint lstm-lint" || { echo "not registered"; exit 1; }
    COMP_WORDS=(lstm-lint "$@"); COMP_CWORD=$#; COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    _lstm_lint
    printf "%s\n" "${COMPREPLY[@]}"' _ "$bashcomp" "$@")
}
check "bash: --sel -> --select" test "$(complete_bash --sel)" = "--select"
check "bash: --select LSTM10 -> the 8 LSTM10x codes" test "$(complete_bash --select LSTM10 | grep -c '^LSTM10[0-9]$')" -eq 8
check "bash: --ignore LSTM101,stale -> LSTM101,stale-optimizer" test "$(complete_bash --ignore LSTM101,stale)" = "LSTM101,stale-optimizer"
check "bash: --select=batch -> batch-first-mismatch" test "$(complete_bash --select = batch)" = "batch-first-mismatch"
check "bash: explain stale -> stale-optimizer" test "$(complete_bash explain stale)" = "stale-optimizer"
check "bash: explain LSTM30 -> the 9 LSTM30x codes" test "$(complete_bash explain LSTM30 | wc -l)" -eq 9
formats=$(complete_bash --format "" | sort | tr '\n' ' ')
check "bash: --format -> every format" test "$formats" = "concise github json json-lines junit sarif text "
check "bash: --fail-on c -> confirmed" test "$(complete_bash --fail-on c)" = "confirmed"
check "bash: first word r -> rules (the work directory has no r* file)" test "$(complete_bash r | tr '\n' ' ')" = "rules "
check "bash: debug -> values" test "$(complete_bash debug "")" = "values"
check "bash: rules --format -> text json" test "$(complete_bash rules --format "" | tr '\n' ' ')" = "text json "
check "bash: notebooks complete as files" has "$(CDIR=$SRC complete_bash examples/sine_)" "examples/sine_forecast.ipynb"
check "bash: check's options after the files" has "$(CDIR=$SRC complete_bash examples/sine_forecast.ipynb --rep)" "--replay-budget"

# ---- zsh and fish ----
zshcomp="$root/usr/share/zsh/vendor-completions/_lstm-lint"
check "zsh: the completion parses (zsh -n)" zsh -n "$zshcomp"
check "zsh: compinit registers _lstm-lint for lstm-lint from the vendor directory" \
  test "$(HOME="$T/home" zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2"; print -r -- ${_comps[lstm-lint]}' _ \
          "$root/usr/share/zsh/vendor-completions" "$T/zcompdump")" = "_lstm-lint"
fishcomp="$root/usr/share/fish/vendor_completions.d/lstm-lint.fish"
complete_fish() { HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share" \
                  fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$fishcomp" "$1" 2>&1 | cut -f1; }
check "fish: the completion parses (fish --no-execute)" fish --no-execute "$fishcomp"
check "fish: --sel -> --select" test "$(complete_fish 'lstm-lint --sel')" = "--select"
check "fish: --select LSTM10 -> the 8 LSTM10x codes" test "$(complete_fish 'lstm-lint --select LSTM10' | grep -c '^LSTM10[0-9]$')" -eq 8
check "fish: explain stale -> stale-optimizer" test "$(complete_fish 'lstm-lint explain stale')" = "stale-optimizer"
check "fish: --format j -> json json-lines junit" test "$(complete_fish 'lstm-lint --format j' | tr '\n' ' ')" = "json json-lines junit "

echo "package: $pass checks passed, $fails failed, $((SECONDS - started)) s"
[ "$fails" -eq 0 ]
