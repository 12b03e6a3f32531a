/**
 * Walks the search tree of a MaxMind DB and hands every network that has
 * data to a callback as a range. Turning the tree into range tables at load
 * means lookups run the same allocation-free binary search as the bundled
 * data; maxmind's own get() builds a string and an object per call.
 *
 * Tree layout (MaxMind DB spec 2.0): node_count nodes of two records each,
 * record_size bits per record; a record below node_count points to a node,
 * equal to it means "no data", above it points into the data section.
 */

export interface TreeShape {
  db: Buffer;
  nodeCount: number;
  /** 24, 28 or 32. */
  recordSize: number;
  /** 4 or 6. */
  ipVersion: number;
}

/** Called per network with data: first and last address in bounds (see RangeBuilder.add) and the raw record. */
export type OnNetwork = (bounds: Uint32Array, record: number) => void;

/** Walk the IPv4 part: the whole tree of an IPv4 DB, or the subtree at ::/96 of an IPv6 one. */
export function walkV4(tree: TreeShape, onNetwork: OnNetwork): void {
  const root = ipv4Root(tree);
  new Walker(tree, 1, onNetwork, -1).start(root, 0);
}

/**
 * Walk the IPv6 part, leaving out the IPv4 subtree wherever it hangs (::/96
 * and the ::ffff:0:0/96 and 2002::/16 aliases MaxMind adds): IPv4 lookups go
 * to the v4 table, and walking it three times would triple the load.
 */
export function walkV6(tree: TreeShape, onNetwork: OnNetwork): void {
  if (tree.ipVersion !== 6) return;
  const v4 = ipv4Root(tree);
  new Walker(tree, 4, onNetwork, v4 < tree.nodeCount ? v4 : -1).start(0, 0);
}

/** The node (or record) reached from the root by 96 zero bits. */
function ipv4Root(tree: TreeShape): number {
  if (tree.ipVersion === 4) return 0;
  let node = 0;
  for (let i = 0; i < 96 && node < tree.nodeCount; i++) node = readRecord(tree, node, 0);
  return node;
}

export function readRecord(tree: TreeShape, node: number, bit: 0 | 1): number {
  const db = tree.db;
  const off = node * (tree.recordSize / 4);
  switch (tree.recordSize) {
    case 24:
      return db.readUIntBE(off + bit * 3, 3);
    case 28:
      return bit === 0
        ? ((db[off + 3]! & 0xf0) * 0x100000 + db.readUIntBE(off, 3))
        : ((db[off + 3]! & 0x0f) * 0x1000000 + db.readUIntBE(off + 4, 3));
    case 32:
      return db.readUInt32BE(off + bit * 4);
    default:
      throw new Error(`unsupported record size ${tree.recordSize}`);
  }
}

class Walker {
  private readonly bits: number;
  /** Current prefix, then the last address of the network: the RangeBuilder bounds layout. */
  private readonly bounds: Uint32Array;
  /** A valid tree is visited at most once per node; a crafted one could loop or explode. */
  private budget: number;

  constructor(
    private readonly tree: TreeShape,
    private readonly width: 1 | 4,
    private readonly onNetwork: OnNetwork,
    private readonly skipNode: number,
  ) {
    this.bits = width * 32;
    this.bounds = new Uint32Array(2 * width);
    this.budget = tree.nodeCount + 1;
  }

  /** Start at a record value reached after `depth` bits (0 for the root node). */
  start(record: number, depth: number): void {
    if (record < this.tree.nodeCount) this.visit(record, depth);
    else if (record > this.tree.nodeCount) this.emit(depth, record);
  }

  private visit(node: number, depth: number): void {
    if (--this.budget < 0) throw new Error('search tree revisits nodes');
    for (let bit: 0 | 1 = 0; ; bit = 1) {
      this.setBit(depth, bit);
      const record = readRecord(this.tree, node, bit);
      if (record < this.tree.nodeCount) {
        if (record !== this.skipNode && depth + 1 < this.bits) this.visit(record, depth + 1);
      } else if (record > this.tree.nodeCount) {
        this.emit(depth + 1, record);
      }
      if (bit === 1) break;
    }
    this.setBit(depth, 0);
  }

  private setBit(pos: number, bit: 0 | 1): void {
    const i = pos >>> 5;
    const mask = 1 << (31 - (pos & 31));
    this.bounds[i] = bit ? this.bounds[i]! | mask : this.bounds[i]! & ~mask;
  }

  /** The network is the current prefix of prefixLen bits; its last address sets all later bits. */
  private emit(prefixLen: number, record: number): void {
    const w = this.width;
    const b = this.bounds;
    for (let i = 0; i < w; i++) {
      const fixed = prefixLen - i * 32; // bits of word i inside the prefix
      const hostMask = fixed <= 0 ? 0xffffffff : fixed >= 32 ? 0 : 0xffffffff >>> fixed;
      b[w + i] = (b[i]! | hostMask) >>> 0;
    }
    this.onNetwork(b, record);
  }
}
