/**
 * A Dockerfile reconstructed from an image's history (`docker history --no-trunc` read back):
 * the classic builder records `/bin/sh -c #(nop) INSTRUCTION …` for metadata steps and
 * `/bin/sh -c COMMAND` for RUN; BuildKit records the instruction text itself (`RUN /bin/sh -c
 * …`, `COPY … # buildkit`, `ENV …`). Base-image layers come out too: history does not say where
 * the base ends, so the result is a reading aid, not a build file.
 */
const NOP = /^\/bin\/sh -c #\(nop\)\s*/;
const SHELL_C = /^\/bin\/sh -c /;
const BUILDKIT_SUFFIX = /\s*# buildkit$/;
/** BuildKit prefixes RUN with build args: `|2 A=1 B=2 /bin/sh -c …`. */
const ARGS_PREFIX = /^\|\d+ (?:\S+=\S* )*/;
const INSTRUCTION =
  /^(FROM|RUN|CMD|LABEL|MAINTAINER|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD|STOPSIGNAL|HEALTHCHECK|SHELL)\b/i;

export interface HistoryLike {
  created_by?: unknown;
  empty_layer?: unknown;
}

export function instructionOf(createdBy: string): string {
  let s = createdBy.trim().replace(BUILDKIT_SUFFIX, '');
  if (s === '') return '';
  if (NOP.test(s)) return s.replace(NOP, '').trim();
  s = s.replace(ARGS_PREFIX, '');
  if (INSTRUCTION.test(s)) return s;
  if (SHELL_C.test(s)) return `RUN ${s.replace(SHELL_C, '')}`;
  return `RUN ${s}`;
}

/** One instruction per history entry, oldest first; entries with no `created_by` skipped. */
export function reconstructDockerfile(history: readonly HistoryLike[]): string {
  const lines: string[] = [];
  for (const h of history.slice(0, 10_000)) {
    const by = typeof h.created_by === 'string' ? h.created_by : '';
    const ins = instructionOf(by);
    if (ins) lines.push(ins);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
