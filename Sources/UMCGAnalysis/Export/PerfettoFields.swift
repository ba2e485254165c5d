import UMCGTrace

// Perfetto protobuf field numbers used by `PerfettoExporter`, copied by hand from
// Perfetto's official protos (github.com/google/perfetto, Apache-2.0):
//   protos/perfetto/trace/trace.proto                          (Trace)
//   protos/perfetto/trace/trace_packet.proto                   (TracePacket)
//   protos/perfetto/trace/clock_snapshot.proto                 (ClockSnapshot, Clock)
//   protos/perfetto/common/builtin_clock.proto                 (BuiltinClock)
//   protos/perfetto/trace/ps/process_tree.proto                (ProcessTree, Process, Thread)
//   protos/perfetto/trace/ftrace/ftrace_event_bundle.proto     (FtraceEventBundle)
//   protos/perfetto/trace/ftrace/ftrace_event.proto            (FtraceEvent)
//   protos/perfetto/trace/ftrace/sched.proto                   (SchedSwitchFtraceEvent, SchedWakingFtraceEvent)
//   protos/perfetto/trace/track_event/track_descriptor.proto   (TrackDescriptor)
//   protos/perfetto/trace/track_event/process_descriptor.proto (ProcessDescriptor)
//   protos/perfetto/trace/track_event/thread_descriptor.proto  (ThreadDescriptor)
//   protos/perfetto/trace/track_event/counter_descriptor.proto (CounterDescriptor)
//   protos/perfetto/trace/track_event/track_event.proto        (TrackEvent)
// Cross-checked against the generated `perfetto_trace_pb2` of the `perfetto` PyPI package
// (see docs/Export.md, "Validating against the official schema").
// Field numbers are frozen by protobuf's compatibility rules, so these never change upstream.

/// Field numbers of the Perfetto trace protos that the exporter writes.
enum PerfettoField {
    /// `message Trace { repeated TracePacket packet = 1; }`
    enum Trace {
        static let packet: UInt32 = 1
    }

    /// `message TracePacket`.
    enum Packet {
        /// `FtraceEventBundle ftrace_events = 1` (oneof data).
        static let ftraceEvents: UInt32 = 1
        /// `ProcessTree process_tree = 2` (oneof data).
        static let processTree: UInt32 = 2
        /// `ClockSnapshot clock_snapshot = 6` (oneof data).
        static let clockSnapshot: UInt32 = 6
        /// `optional uint64 timestamp = 8`.
        static let timestamp: UInt32 = 8
        /// `uint32 trusted_packet_sequence_id = 10` (oneof optional_trusted_packet_sequence_id).
        static let trustedPacketSequenceId: UInt32 = 10
        /// `TrackEvent track_event = 11` (oneof data).
        static let trackEvent: UInt32 = 11
        /// `optional uint32 sequence_flags = 13`.
        static let sequenceFlags: UInt32 = 13
        /// `TrackDescriptor track_descriptor = 60` (oneof data).
        static let trackDescriptor: UInt32 = 60
        /// `SequenceFlags.SEQ_INCREMENTAL_STATE_CLEARED = 1`.
        static let seqIncrementalStateCleared: UInt64 = 1
    }

    /// `message ClockSnapshot` and its nested `Clock`, plus `enum BuiltinClock`.
    enum ClockSnapshot {
        /// `repeated Clock clocks = 1`.
        static let clocks: UInt32 = 1
        /// `optional BuiltinClock primary_trace_clock = 2`.
        static let primaryTraceClock: UInt32 = 2
        /// `SystemClock.clock_id = 1` (uint32).
        static let clockId: UInt32 = 1
        /// `SystemClock.timestamp = 2` (uint64).
        static let clockTimestamp: UInt32 = 2
        /// `BUILTIN_CLOCK_REALTIME = 1`.
        static let realtime: UInt64 = 1
        /// `BUILTIN_CLOCK_MONOTONIC = 3`.
        static let monotonic: UInt64 = 3
        /// `BUILTIN_CLOCK_BOOTTIME = 6`: the default trace clock.
        static let boottime: UInt64 = 6
    }

    /// `message ProcessTree` with nested `Process` and `Thread`.
    enum ProcessTree {
        /// `repeated Process processes = 1`.
        static let processes: UInt32 = 1
        /// `repeated Thread threads = 2`.
        static let threads: UInt32 = 2
        /// `Process.pid = 1` (int32).
        static let processPid: UInt32 = 1
        /// `Process.ppid = 2` (int32).
        static let processPpid: UInt32 = 2
        /// `Process.cmdline = 3` (repeated string).
        static let processCmdline: UInt32 = 3
        /// `Thread.tid = 1` (int32).
        static let threadTid: UInt32 = 1
        /// `Thread.name = 2` (string).
        static let threadName: UInt32 = 2
        /// `Thread.tgid = 3` (int32).
        static let threadTgid: UInt32 = 3
    }

    /// `message FtraceEventBundle`.
    enum Bundle {
        /// `optional uint32 cpu = 1`.
        static let cpu: UInt32 = 1
        /// `repeated FtraceEvent event = 2`.
        static let event: UInt32 = 2
    }

    /// `message FtraceEvent`.
    enum FtraceEvent {
        /// `optional uint64 timestamp = 1`.
        static let timestamp: UInt32 = 1
        /// `optional uint32 pid = 2`: the task running when the event fired.
        static let pid: UInt32 = 2
        /// `SchedSwitchFtraceEvent sched_switch = 4` (oneof event).
        static let schedSwitch: UInt32 = 4
        /// `SchedWakingFtraceEvent sched_waking = 20` (oneof event).
        static let schedWaking: UInt32 = 20
    }

    /// `message SchedSwitchFtraceEvent`.
    enum SchedSwitch {
        /// `optional string prev_comm = 1`.
        static let prevComm: UInt32 = 1
        /// `optional int32 prev_pid = 2`.
        static let prevPid: UInt32 = 2
        /// `optional int32 prev_prio = 3`.
        static let prevPrio: UInt32 = 3
        /// `optional int64 prev_state = 4`.
        static let prevState: UInt32 = 4
        /// `optional string next_comm = 5`.
        static let nextComm: UInt32 = 5
        /// `optional int32 next_pid = 6`.
        static let nextPid: UInt32 = 6
        /// `optional int32 next_prio = 7`.
        static let nextPrio: UInt32 = 7
    }

    /// `message SchedWakingFtraceEvent`.
    enum SchedWaking {
        /// `optional string comm = 1`.
        static let comm: UInt32 = 1
        /// `optional int32 pid = 2`.
        static let pid: UInt32 = 2
        /// `optional int32 prio = 3`.
        static let prio: UInt32 = 3
        /// `optional int32 success = 4`.
        static let success: UInt32 = 4
        /// `optional int32 target_cpu = 5`.
        static let targetCpu: UInt32 = 5
    }

    /// `message TrackDescriptor`, `ProcessDescriptor`, `ThreadDescriptor`, `CounterDescriptor`.
    enum Track {
        /// `TrackDescriptor.uuid = 1` (uint64).
        static let uuid: UInt32 = 1
        /// `TrackDescriptor.name = 2` (string).
        static let name: UInt32 = 2
        /// `TrackDescriptor.process = 3` (ProcessDescriptor).
        static let process: UInt32 = 3
        /// `TrackDescriptor.thread = 4` (ThreadDescriptor).
        static let thread: UInt32 = 4
        /// `TrackDescriptor.counter = 8` (CounterDescriptor).
        static let counter: UInt32 = 8
        /// `ProcessDescriptor.pid = 1` (int32).
        static let processPid: UInt32 = 1
        /// `ProcessDescriptor.process_name = 6` (string).
        static let processName: UInt32 = 6
        /// `ThreadDescriptor.pid = 1` (int32).
        static let threadPid: UInt32 = 1
        /// `ThreadDescriptor.tid = 2` (int32).
        static let threadTid: UInt32 = 2
        /// `ThreadDescriptor.thread_name = 5` (string).
        static let threadName: UInt32 = 5
        /// `CounterDescriptor.unit = 3` (enum Unit).
        static let counterUnit: UInt32 = 3
        /// `CounterDescriptor.Unit.UNIT_COUNT = 2`.
        static let unitCount: UInt64 = 2
    }

    /// `message TrackEvent`.
    enum TrackEvent {
        /// `optional Type type = 9`.
        static let type: UInt32 = 9
        /// `optional uint64 track_uuid = 11`.
        static let trackUuid: UInt32 = 11
        /// `string name = 23` (oneof name_field).
        static let name: UInt32 = 23
        /// `double double_counter_value = 44` (oneof counter_value_field).
        static let doubleCounterValue: UInt32 = 44
        /// `Type.TYPE_INSTANT = 3`.
        static let typeInstant: UInt64 = 3
        /// `Type.TYPE_COUNTER = 4`.
        static let typeCounter: UInt64 = 4
    }

    /// Linux `prev_state` values as `sched_switch` reports them (include/linux/sched.h);
    /// Perfetto decodes R/S/D/X identically for every kernel version.
    enum TaskState {
        /// TASK_RUNNING: "R" (runnable, e.g. preempted or yielded).
        static let running: Int64 = 0
        /// TASK_INTERRUPTIBLE: "S" (sleeping).
        static let interruptible: Int64 = 1
        /// TASK_UNINTERRUPTIBLE: "D" (uninterruptible sleep, I/O).
        static let uninterruptible: Int64 = 2
        /// EXIT_DEAD: "X" (dead).
        static let dead: Int64 = 16
    }
}
