import { compareKeys } from '@kvndb/shared';
import type { KeysPage } from '@kvndb/shared';
import type { ConsoleClient } from './context';
import { argumentForm, completeWithKeys, createCompleter, keyCompletionTarget, KEY_COMPLETION_LIMIT } from './completion';
import { tokenize } from './tokenizer';

function keysClient(keys: string[], calls: Array<{ prefix: string; limit?: number }> = []): ConsoleClient {
  const sorted = [...keys].sort(compareKeys);
  return {
    async keys(prefix: string, options: { limit?: number }): Promise<KeysPage> {
      calls.push({ prefix, limit: options.limit });
      const hits = sorted.filter((k) => k.startsWith(prefix));
      const page = hits.slice(0, options.limit ?? 1000);
      return { keys: page, cursor: hits.length > page.length ? page[page.length - 1] : null };
    },
  } as unknown as ConsoleClient;
}

describe('key completion', () => {
  it('completes keys by prefix for get, has and del, asking for one page of 100', async () => {
    const calls: Array<{ prefix: string; limit?: number }> = [];
    const client = keysClient(['user:1', 'user:2', 'other'], calls);
    expect(await completeWithKeys(client, 'get us')).toEqual([['user:1 ', 'user:2 '], 'us']);
    expect(await completeWithKeys(client, 'has user:2')).toEqual([['user:2 '], 'user:2']);
    expect(await completeWithKeys(client, 'del user:1 o')).toEqual([['other '], 'o']);
    expect(await completeWithKeys(client, 'SHOW ')).toEqual([['other ', 'user:1 ', 'user:2 '], '']);
    expect(calls[0]).toEqual({ prefix: 'us', limit: KEY_COMPLETION_LIMIT });
  });

  it('only completes where a key goes', async () => {
    const calls: Array<{ prefix: string }> = [];
    const client = keysClient(['a'], calls);
    expect(await completeWithKeys(client, 'get a b')).toEqual([[], 'get a b']);
    expect(await completeWithKeys(client, 'set a v')).toEqual([[], 'set a v']);
    expect(await completeWithKeys(client, 'ping ')).toEqual([[], 'ping ']);
    expect(await completeWithKeys(client, 'nosuch a')).toEqual([[], 'nosuch a']);
    expect(calls).toHaveLength(0);
    // Command names still complete without the network.
    expect(await completeWithKeys(client, 'pi')).toEqual([['ping '], 'pi']);
  });

  it('quotes keys that need it, and reads a quoted prefix', async () => {
    const client = keysClient(['my key', 'my\tkey', "it's"]);
    const [hits, word] = await completeWithKeys(client, 'get "my');
    expect(word).toBe('"my');
    expect(hits).toEqual(['"my\\tkey" ', '"my key" ']);
    for (const hit of hits) expect(tokenize(hit)).toHaveLength(1);
    expect(tokenize(hits[1])[0].toString()).toBe('my key');
    expect(keyCompletionTarget('get my\\ k')).toEqual({ word: 'my\\ k', prefix: 'my k' });
    // keys takes --all / -a before (or after) its prefix: the prefix is still completed.
    expect(keyCompletionTarget('keys --all us')).toEqual({ word: 'us', prefix: 'us' });
    expect(keyCompletionTarget('keys -a ')).toEqual({ word: '', prefix: '' });
    expect(keyCompletionTarget('keys --all us er')).toBeNull();
    expect(keyCompletionTarget('get --all x')).toBeNull(); // get has no flags: x is its second argument
    expect((await completeWithKeys(client, "get 'my "))[0]).toEqual(["'my key' "]);
    expect((await completeWithKeys(client, 'get it'))[0]).toEqual(['"it\'s" ']);
  });

  it('keeps plain keys bare', () => {
    expect(argumentForm('user:1', 'us')).toBe('user:1');
    expect(argumentForm('a b', 'a')).toBe('"a b"');
  });

  it('completes nothing when the server fails or is slow', async () => {
    jest.useFakeTimers();
    try {
      const failing = { keys: async () => Promise.reject(new Error('down')) } as unknown as ConsoleClient;
      expect(await completeWithKeys(failing, 'get a')).toEqual([[], 'a']);
      const hanging = { keys: () => new Promise<never>(() => {}) } as unknown as ConsoleClient;
      const pending = completeWithKeys(hanging, 'get a');
      await jest.advanceTimersByTimeAsync(2500);
      expect(await pending).toEqual([[], 'a']);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers readline through a callback', async () => {
    const completer = createCompleter(keysClient(['alpha', 'beta']));
    expect(completer.length).toBe(2);
    const result = await new Promise((resolve) => completer('get al', (_err, r) => resolve(r)));
    expect(result).toEqual([['alpha '], 'al']);
  });
});
