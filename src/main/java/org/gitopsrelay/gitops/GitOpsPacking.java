package org.gitopsrelay.gitops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.scheduler.Scheduled;

/** Checks the repositories the relay owns every {@code relay.gitops.packing.interval} and packs those due. */
@ApplicationScoped
public class GitOpsPacking {

    private final GitOpsRepository repository;

    @Inject
    public GitOpsPacking(GitOpsRepository repository) {
        this.repository = repository;
    }

    @Scheduled(every = "${relay.gitops.packing.interval:PT1M}", delayed = "${relay.gitops.packing.interval:PT1M}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void packWhenDue() {
        repository.packWhenDue();
    }
}
