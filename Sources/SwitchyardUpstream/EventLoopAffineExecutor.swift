import NIOCore
import NIOPosix

/// A task executor that runs each job on the event loop of the thread that enqueues it, and on
/// the group's next loop when that thread is not one of the group's. A task resumed by a read on
/// an event loop (the caller's request, the upstream's answer) goes on on that same thread, so a
/// proxied request is read, handled, sent upstream, answered and written back without a
/// hand-over between threads. Jobs must be short and never block, like everything on an event loop.
public final class EventLoopAffineExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup
    private let loops: Set<ObjectIdentifier>

    public init(group: MultiThreadedEventLoopGroup = .singleton) {
        self.group = group
        loops = Set(group.makeIterator().map { ObjectIdentifier($0) })
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }

    /// The calling thread's event loop when it is one of the group's, else the group's next.
    var loop: any EventLoop {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, loops.contains(ObjectIdentifier(current)) {
            return current
        }
        return group.next()
    }
}
