import { describe, expect, it } from 'vitest';
import { instructionOf, reconstructDockerfile } from './dockerfile.ts';

describe('Dockerfile from history', () => {
  it.each([
    ['/bin/sh -c #(nop) ADD file:5b0ab7 in / ', 'ADD file:5b0ab7 in /'],
    ['/bin/sh -c #(nop)  CMD ["/bin/sh"]', 'CMD ["/bin/sh"]'],
    ['/bin/sh -c apk add --no-cache curl', 'RUN apk add --no-cache curl'],
    ['RUN /bin/sh -c apt-get update # buildkit', 'RUN /bin/sh -c apt-get update'],
    ['|2 VERSION=1.2 TARGET=x /bin/sh -c make', 'RUN make'],
    ['COPY app /srv # buildkit', 'COPY app /srv'],
    ['ENV PATH=/usr/local/bin:/usr/bin', 'ENV PATH=/usr/local/bin:/usr/bin'],
    ['umoci config', 'RUN umoci config'],
    ['', ''],
  ])('%s', (createdBy, expected) => {
    expect(instructionOf(createdBy)).toBe(expected);
  });

  it('keeps history order and skips entries without created_by', () => {
    expect(
      reconstructDockerfile([
        { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
        { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        {},
        { created_by: '/bin/sh -c echo hi > /hi' },
      ]),
    ).toBe('ADD file:abc in /\nCMD ["sh"]\nRUN echo hi > /hi\n');
    expect(reconstructDockerfile([])).toBe('');
  });
});
