// How a consumer group's partitions are shared among its members. @platformatic/kafka's default
// deals the leader's own topics round robin to every member, whatever each member subscribed to:
// two relays in one group reading different topics (two live runs of the same name on other
// topics) each got half of the other's partitions, wrote the other's windows into their own
// table and never read half of their own. Here each topic's partitions go only to the members
// that subscribed to it, round robin among them.
import type { GroupPartitionsAssigner } from '@platformatic/kafka';

export const subscribedRoundRobinAssigner: GroupPartitionsAssigner = (_current, members, _leaderTopics, metadata) => {
  const assignments = [...members.keys()].map((memberId) => ({ memberId, assignments: new Map<string, { topic: string; partitions: number[] }>() }));
  const topics = [...new Set([...members.values()].flatMap((member) => member.topics ?? []))].sort();
  for (const topic of topics) {
    const subscribers = assignments.filter(({ memberId }) => members.get(memberId)?.topics?.includes(topic));
    const partitionsCount = metadata.topics.get(topic)?.partitionsCount ?? 0;
    for (let partition = 0; partition < partitionsCount; partition++) {
      const member = subscribers[partition % subscribers.length]!;
      const entry = member.assignments.get(topic) ?? { topic, partitions: [] };
      entry.partitions.push(partition);
      member.assignments.set(topic, entry);
    }
  }
  return assignments;
};
