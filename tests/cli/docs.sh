#!/usr/bin/env bash
# docs.sh — the documentation keeps up with the option parsers: every option a command accepts is in its
# --help, and every option of `convscope CMD --help` is in that command's synopsis in man/convscope.1 and README.md.
. "$(dirname "$0")/../lib.sh"
MAN=man/convscope.1

# Long options named in text on stdin (roff's \-\- read as --), one a line, sorted.
opts_in() { sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# The man page's synopsis of CMD: from ".B convscope CMD" to the next ".br".
man_synopsis() { awk -v c="$1" '$0 == ".B convscope " c { p = 1 } p { print } p && $0 == ".br" { exit }' $MAN; }
# README's synopsis of CMD: its "    convscope CMD" line and the indented "[..." lines that continue it.
readme_synopsis() { awk -v c="$1" '$1 == "convscope" && $2 == c { p = 1; print; next } p && /^ +\[/ { print; next } { p = 0 }' README.md; }

help=$("$CS" --help)
cmds=$(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/p' | grep -oE '^  [a-z]+' | tr -d ' ')
# options of every command: the model and global options the top-level help lists
shared=$(printf '%s\n' "$help" | grep -E '^  --' | opts_in)
# every option named anywhere: the candidates a parser may accept
known=$( { printf '%s\n' "$help"; for c in $cmds; do "$CS" "$c" --help; done; cat $MAN README.md; } | opts_in |
    grep -vxE -- '--(help|version)')

check docs_commands_listed [ "$(printf '%s\n' $cmds | wc -l)" -ge 7 ]
for o in $shared; do
    check "docs_shared_option_${o#--}_in_man" grep -qF -- "$o" <(opts_in <$MAN)
done
for c in $cmds; do
    own=$("$CS" "$c" --help | head -n 1 | opts_in)
    missing=""
    for o in $own; do
        man_synopsis "$c" | opts_in | grep -qxF -- "$o" || missing="$missing man:$o"
        readme_synopsis "$c" | opts_in | grep -qxF -- "$o" || missing="$missing README:$o"
    done
    if [ -z "$missing" ] && [ -n "$own" ]; then echo "ok docs_${c}_help_options_in_man_and_readme"
    else echo "FAIL docs_${c}_help_options_in_man_and_readme (missing:${missing:- no options in --help})"; fi
    # an option the parser takes ("--opt 1" does not draw "unknown option '--opt'") must be in the command's
    # --help or among the shared options; the trailing unknown option stops every parser before any work
    hidden=""
    for o in $known; do
        printf '%s\n' $own $shared | grep -qxF -- "$o" && continue
        "$CS" "$c" "$o" 1 --zz-not-an-option 2>&1 >/dev/null | grep -qF -- "unknown option '$o'" || hidden="$hidden $o"
    done
    if [ -z "$hidden" ]; then echo "ok docs_${c}_accepts_only_documented_options"
    else echo "FAIL docs_${c}_accepts_only_documented_options (accepted but not in --help:$hidden)"; fi
done
