/**
 * Shell-like word splitting for the command bar (no shell runs behind it).
 */
import { codedError } from '../errors.ts';

// ---------------------------------------------------------------------------------------------
// Word splitting

export class ShellSyntaxError extends codedError('SHELL_SYNTAX', 'ShellSyntaxError') {
  override name = 'ShellSyntaxError';
}

const MAX_LINE = 64 * 1024;
const MAX_WORDS = 4096;

/**
 * Split a line into words as a POSIX shell does for the common cases: single quotes keep
 * everything literal; double quotes keep everything but `\"`, `\\`, `\$`, `` \` `` escapes;
 * an unquoted backslash escapes the next character; `#` at the start of a word begins a
 * comment. No expansion happens (`$HOME` stays as typed); pipes, redirections and command
 * separators are refused because there is no shell behind the command bar.
 */
export function splitCommandLine(line: string): string[] {
  if (line.length > MAX_LINE) throw new ShellSyntaxError(`command line longer than ${MAX_LINE} characters`);
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const push = (): void => {
    if (inWord) {
      if (words.length >= MAX_WORDS) throw new ShellSyntaxError(`more than ${MAX_WORDS} arguments`);
      words.push(cur);
    }
    cur = '';
    inWord = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      push();
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') cur += line[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
      if (!closed) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
    } else if (c === '\\') {
      if (i + 1 < line.length) {
        if (line[i + 1] !== '\n') cur += line[i + 1];
        inWord = true;
        i += 2;
      } else {
        i++;
      }
    } else if (c === '#' && !inWord) {
      break;
    } else if ('|&;<>()`'.includes(c)) {
      throw new ShellSyntaxError(
        `'${c}' is shell syntax, and the command bar has no shell: pipes, redirections and command lists are not supported (quote it to pass it to docker)`,
      );
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  push();
  return words;
}
