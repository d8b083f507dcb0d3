/**
 * The run's event vocabulary and the sink that records it: the lower layers (the stack, faults)
 * announce what they do through an {@link EventSink}; `results/event-log.ts` writes it to
 * `events.jsonl`.
 * @module
 */

export type EventType =
  | "run_start" | "stack_start" | "component_ready" | "sweep" | "fault_lost" | "warmup" | "traffic_start" | "phase_start" | "phase_end"
  | "fault_apply" | "fault_applied" | "fault_apply_failed" | "fault_revert" | "fault_reverted" | "fault_revert_failed"
  | "pod_kill" | "pod_kill_failed" | "k8s_pod_kill" | "k8s_pods_recovered" | "k8s_pods_not_recovered" | "k8s_watch_failed" | "interrupt" | "abort" | "traffic_end" | "component_stop" | "export_end" | "run_status" | "run_end" | "error"
  | "gameday" | "hold" | "manual_action" | "phases_moved" | "note";

/** Where events go: `durable` ones (fault events) must be on disk before the action they announce. */
export interface EventSink {
  append(type: EventType, data?: Record<string, unknown>, durable?: boolean): void;
}
