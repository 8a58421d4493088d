import type { ClusterMetadata, ExtendedGroupProtocolSubscription } from '@platformatic/kafka';
import { subscribedRoundRobinAssigner } from '../../../clients/group-assigner.js';

function members(subscriptions: Record<string, string[]>): Map<string, ExtendedGroupProtocolSubscription> {
  return new Map(Object.entries(subscriptions).map(([memberId, topics]) => [memberId, { memberId, topics } as ExtendedGroupProtocolSubscription]));
}

function metadata(partitions: Record<string, number>): ClusterMetadata {
  return { topics: new Map(Object.entries(partitions).map(([topic, partitionsCount]) => [topic, { partitionsCount }])) } as unknown as ClusterMetadata;
}

/** memberId → "topic:partition" list, for reading. */
function plan(result: ReturnType<typeof subscribedRoundRobinAssigner>): Record<string, string[]> {
  return Object.fromEntries(result.map(({ memberId, assignments }) => [memberId, [...assignments.values()].flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}:${p}`))]));
}

it('gives each topic only to the members that subscribed to it, even when the leader reads another topic', () => {
  const result = subscribedRoundRobinAssigner('a', members({ a: ['stats-a'], b: ['stats-b'] }), new Set(['stats-a']), metadata({ 'stats-a': 2, 'stats-b': 3 }));
  expect(plan(result)).toEqual({ a: ['stats-a:0', 'stats-a:1'], b: ['stats-b:0', 'stats-b:1', 'stats-b:2'] });
});

it('deals a shared topic round robin among its subscribers', () => {
  const result = subscribedRoundRobinAssigner('a', members({ a: ['stats'], b: ['stats'] }), new Set(['stats']), metadata({ stats: 4 }));
  expect(plan(result)).toEqual({ a: ['stats:0', 'stats:2'], b: ['stats:1', 'stats:3'] });
});
