package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"wenshu/catalog"
)

// bucketTrail is the audit chain as the bucket holds it: the signed
// checkpoints, read one at a time in sequence order (memory is bounded by
// one segment and the list of keys, not by the length of the trail).
type bucketTrail struct {
	sink     Sink
	timeout  time.Duration
	objs     map[string]*objectVersions
	refs     []checkpointRef // from the keys, in sequence order
	findings []Finding

	// Filled by each: the checkpoints that verified and link, and the
	// last event they cover contiguously from 1 with its hash.
	checkpoints int
	last        int64
	headHash    string
}

// checkpointRef is a checkpoint key and the range its name claims.
type checkpointRef struct {
	key         string
	first, last int64
}

// objectVersions is one key's versions, oldest first.
type objectVersions struct {
	filed   string // the first version written (the one under lock)
	extra   int    // later versions
	markers int    // delete markers
}

// openTrail lists every key under audit/ with its versions; stacked
// versions and delete markers are findings.
func openTrail(ctx context.Context, sink Sink, timeout time.Duration) (*bucketTrail, error) {
	b := &bucketTrail{sink: sink, timeout: timeout, objs: map[string]*objectVersions{}}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var keys []string
	err := sink.ListVersions(lctx, Prefix, func(key, versionID string, del bool, _ time.Time) error {
		o := b.objs[key]
		if o == nil {
			o = &objectVersions{}
			b.objs[key] = o
			keys = append(keys, key)
		}
		switch {
		case del:
			o.markers++
		case o.filed == "":
			o.filed = versionID
		default:
			o.extra++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: listing %s: %w", Prefix, err)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o := b.objs[k]
		if o.extra > 0 || o.markers > 0 || o.filed == "" {
			b.add(0, KindBucketTampered, fmt.Sprintf("%s：锁定对象之外另有 %d 个版本、%d 个删除标记", k, o.extra, o.markers))
		}
		if !strings.HasSuffix(k, ".json") || o.filed == "" {
			continue
		}
		var ref checkpointRef
		if _, err := fmt.Sscanf(k[strings.LastIndexByte(k, '/')+1:], "%d-%d.json", &ref.first, &ref.last); err != nil || !strings.HasPrefix(k, Prefix) {
			b.add(0, KindBadCheckpoint, fmt.Sprintf("%s：不是检查点的名称", k))
			continue
		}
		ref.key = k
		b.refs = append(b.refs, ref)
	}
	sort.SliceStable(b.refs, func(i, j int) bool {
		if b.refs[i].first != b.refs[j].first {
			return b.refs[i].first < b.refs[j].first
		}
		return b.refs[i].last < b.refs[j].last
	})
	return b, nil
}

// each calls fn, in sequence order, for every checkpoint that verifies and
// continues the ones before, with the events of its segment not covered by
// an earlier one. A checkpoint that does not verify is a finding and is
// skipped; a gap or a fork ends the walk (fn is not called beyond it).
func (b *bucketTrail) each(ctx context.Context, fn func(cp Checkpoint, evs []catalog.ChainedEvent) error) error {
	for _, ref := range b.refs {
		if ref.last <= b.last {
			continue // covered by an earlier checkpoint (two writers sealed overlapping ranges)
		}
		if ref.first > b.last+1 {
			b.add(b.last+1, KindBucketGap, fmt.Sprintf("桶中检查点不连续：%d 之后是 %s", b.last, ref.key))
			return nil
		}
		cp, evs, err := b.load(ctx, ref.key)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			b.add(ref.first, KindBadCheckpoint, fmt.Sprintf("%s：%v", ref.key, err))
			continue
		}
		if cp.FirstSeq != ref.first || cp.Seq != ref.last {
			b.add(ref.first, KindBadCheckpoint, fmt.Sprintf("%s：内容的范围为 %d–%d", ref.key, cp.FirstSeq, cp.Seq))
			continue
		}
		// The event before the new part must be the sealed head.
		skip := b.last - cp.FirstSeq + 1
		linked := cp.PrevHash == b.headHash
		if skip > 0 {
			linked = evs[skip-1].Hash == b.headHash
		}
		if !linked {
			b.add(b.last+1, KindBucketGap, fmt.Sprintf("检查点 %s 未接续前一检查点的链头（事件 %d）", ref.key, b.last))
			return nil
		}
		if err := fn(cp, evs[skip:]); err != nil {
			return err
		}
		b.checkpoints++
		b.last, b.headHash = cp.Seq, cp.HeadHash
	}
	return nil
}

// load reads the filed version of a checkpoint and its segment and checks
// one against the other.
func (b *bucketTrail) load(ctx context.Context, key string) (Checkpoint, []catalog.ChainedEvent, error) {
	gctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	raw, err := b.sink.Get(gctx, key, b.objs[key].filed)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	cp, err := openCheckpoint(raw, b.sink)
	if err != nil {
		return cp, nil, err
	}
	if cp.SegmentKey != strings.TrimSuffix(key, ".json")+".events" {
		return cp, nil, fmt.Errorf("names segment %s", cp.SegmentKey)
	}
	seg := b.objs[cp.SegmentKey]
	if seg == nil || seg.filed == "" {
		return cp, nil, fmt.Errorf("segment %s is missing", cp.SegmentKey)
	}
	data, err := b.sink.Get(gctx, cp.SegmentKey, seg.filed)
	if err != nil {
		return cp, nil, err
	}
	if catalog.HashHex(data) != cp.SegmentSM3 {
		return cp, nil, fmt.Errorf("segment %s: SM3 differs from the signed one", cp.SegmentKey)
	}
	evs, err := parseSegment(data)
	if err != nil {
		return cp, nil, fmt.Errorf("segment %s: %w", cp.SegmentKey, err)
	}
	return cp, evs, checkSegment(cp, evs)
}

// checkSegment checks that the events are first…last, chained, and end in
// the checkpoint's head.
func checkSegment(cp Checkpoint, evs []catalog.ChainedEvent) error {
	if int64(len(evs)) != cp.Count {
		return fmt.Errorf("segment has %d events, checkpoint says %d", len(evs), cp.Count)
	}
	prev := cp.PrevHash
	for i, e := range evs {
		if e.Seq != cp.FirstSeq+int64(i) {
			return fmt.Errorf("segment line %d has seq %d, want %d", i+1, e.Seq, cp.FirstSeq+int64(i))
		}
		if e.PrevHash != prev {
			return fmt.Errorf("segment seq %d does not link to the one before", e.Seq)
		}
		prev = e.Hash
	}
	if prev != cp.HeadHash {
		return fmt.Errorf("segment ends in %s, checkpoint head is %s", prev, cp.HeadHash)
	}
	return nil
}

func (b *bucketTrail) add(seq int64, kind, detail string) {
	b.findings = append(b.findings, Finding{Seq: seq, Kind: kind, Detail: detail})
}
