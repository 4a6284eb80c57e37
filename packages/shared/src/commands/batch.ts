import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op, WriteKind } from '../protocol/opcodes';
import type { WriteOp, WriteResult } from '../protocol/types';
import { list, writeResult } from './answers';
import { setOp, valueBytes, type Value } from './checks';
import { Answer, Immediate, type Command } from './command';

/** One write of a client's batch. */
export type BatchOp = { op: 'set'; key: string; value: Value } | { op: 'del'; key: string };

function batchOp(raw: unknown, index: number, limits: Limits): WriteOp {
  if (!Array.isArray(raw)) throw KvndbError.badRequest(`BATCH op ${index} must be an array, got ${describe(raw)}`);
  if (raw[0] === 's') {
    if (raw.length < 3 || raw.length > 4) throw KvndbError.badRequest(`BATCH op ${index}: a set is ["s", key, value, flags?]`);
    return setOp(raw[1], raw[2], raw[3], limits);
  }
  if (raw[0] === 'd') {
    if (raw.length !== 2) throw KvndbError.badRequest(`BATCH op ${index}: a delete is ["d", key]`);
    checkKey(raw[1], limits);
    return ['d', raw[1]];
  }
  throw KvndbError.badRequest(`BATCH op ${index} must start with "s" or "d", got ${JSON.stringify(String(raw[0]))}`);
}

/** BATCH: several sets and deletes applied atomically, one result each. */
export const batch = {
  name: 'batch',
  op: Op.BATCH,
  arity: [3, 3],
  route: 'write',
  summary: 'several sets and deletes in one atomic write',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    const ops = msg[2];
    if (!Array.isArray(ops)) throw KvndbError.badRequest(`BATCH needs an array of ops, got ${describe(ops)}`);
    if (ops.length === 0) throw KvndbError.badRequest('BATCH needs at least one op');
    const out: WriteOp[] = new Array(ops.length);
    for (let i = 0; i < ops.length; i++) out[i] = batchOp(ops[i], i, limits);
    return out;
  },
  answer: Answer.All,
  methods: {
    /** Apply several writes atomically; resolves with one result per op. */
    batch: {
      request(limits: Limits, [ops]: [ops: BatchOp[]]): unknown[] | Immediate<WriteResult[]> {
        if (!Array.isArray(ops)) throw KvndbError.badRequest(`batch ops must be an array, got ${describe(ops)}`);
        if (ops.length === 0) return new Immediate([]);
        const wire: unknown[] = new Array(ops.length);
        for (let i = 0; i < ops.length; i++) {
          const o = ops[i];
          if (o && o.op === 'set') {
            checkKey(o.key, limits);
            wire[i] = [WriteKind.SET, o.key, valueBytes(o.value, limits)];
          } else if (o && o.op === 'del') {
            checkKey(o.key, limits);
            wire[i] = [WriteKind.DEL, o.key];
          } else {
            throw KvndbError.badRequest(`batch op ${i} must be {op: 'set', key, value} or {op: 'del', key}`);
          }
        }
        return [Op.BATCH, 0, wire];
      },
      decode: (v: unknown): WriteResult[] => list('BATCH', v, writeResult),
      retryable: false,
    },
  },
} as const satisfies Command;
