package org.gitopsrelay.gitops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import io.opentelemetry.context.Context;

/**
 * Runs the planners of a batch on one snapshot, several at a time: planning is mostly waiting for Kustomize, and the
 * overlays of different apps are independent. The threads are bounded (a render is a process using a core) and
 * daemon, so they never keep the JVM alive; each planner runs in the caller's trace context.
 */
final class ParallelPlanning implements AutoCloseable {

    private final int parallelism;
    private final ExecutorService executor;

    ParallelPlanning(int parallelism) {
        this.parallelism = parallelism;
        AtomicInteger count = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(parallelism, task -> {
            Thread thread = new Thread(task, "gitops-plan-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Each planner's {@link Plan}, or the {@link RelayException} it threw, in the order given. An unexpected
     * exception is a refusal of that change alone ({@code internal}), an I/O error a retryable one.
     */
    <D> List<Object> planAll(List<? extends ChangePlanner<D>> planners, Snapshot snapshot) {
        if (planners.size() == 1 || parallelism == 1) {
            List<Object> plans = new ArrayList<>(planners.size());
            planners.forEach(planner -> plans.add(planOne(planner, snapshot)));
            return plans;
        }
        Context context = Context.current();
        List<Future<Object>> futures = new ArrayList<>(planners.size());
        for (ChangePlanner<D> planner : planners) {
            futures.add(executor.submit(context.wrap(() -> planOne(planner, snapshot))));
        }
        List<Object> plans = new ArrayList<>(planners.size());
        for (Future<Object> future : futures) {
            try {
                plans.add(future.get());
            } catch (InterruptedException e) {
                futures.forEach(pending -> pending.cancel(true));
                Thread.currentThread().interrupt();
                throw new RelayException(Reason.GIT_UNAVAILABLE, "Interrupted while planning a batch", e);
            } catch (ExecutionException e) {
                plans.add(refusal(e.getCause()));
            }
        }
        return plans;
    }

    private static Object planOne(ChangePlanner<?> planner, Snapshot snapshot) {
        try {
            return planner.plan(snapshot);
        } catch (RuntimeException | Error e) {
            return refusal(e);
        }
    }

    private static RelayException refusal(Throwable e) {
        if (e instanceof Error error && !(e instanceof StackOverflowError) && !(e instanceof java.io.IOError)) {
            throw error;
        }
        return RelayException.of(e);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
