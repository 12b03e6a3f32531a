import { describe, expect, it } from 'vitest';
import { UsageError } from '../../model/errors.js';
import { parseFlowListen } from './listen.js';

describe('parseFlowListen', () => {
  it.each([
    ['udp:127.0.0.1:2055', '127.0.0.1', 2055, 4, 'udp:127.0.0.1:2055'],
    ['udp:[::1]:4739', '::1', 4739, 6, 'udp:[::1]:4739'],
    ['udp:localhost:0', '127.0.0.1', 0, 4, 'udp:127.0.0.1:0'],
    ['udp:0.0.0.0:9995', '0.0.0.0', 9995, 4, 'udp:0.0.0.0:9995'],
  ])('%s', (text, host, port, family, label) => {
    expect(parseFlowListen(text)).toEqual({ host, port, family, label });
  });

  it.each([
    ['127.0.0.1:2055', 'expected udp:ADDRESS:PORT'],
    ['tcp:127.0.0.1:2055', 'expected udp:ADDRESS:PORT'],
    ['udp:127.0.0.1', 'expected udp:ADDRESS:PORT'],
    ['udp:::1:2055', 'expected udp:ADDRESS:PORT'],
    ['udp:router.example:2055', "'router.example' is not an IP address"],
    ['udp:127.0.0.1:70000', 'port 70000 out of range'],
    ['udp:127.0.0.1:-1', 'expected udp:ADDRESS:PORT'],
  ])('%s is one usage line: %s', (text, message) => {
    let thrown: unknown = null;
    try {
      parseFlowListen(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});
