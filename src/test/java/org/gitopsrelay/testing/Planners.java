package org.gitopsrelay.testing;

import java.util.Optional;
import java.util.function.Function;

import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.Plan;
import org.gitopsrelay.gitops.PlannedCommit;
import org.gitopsrelay.gitops.Snapshot;

/** Changes a test writes to the GitOps repository, with nothing to decide but the commit. */
public final class Planners {

    private Planners() {
    }

    public static CommitOutcome apply(GitOpsRepository repository, Function<Snapshot, Optional<PlannedCommit>> planner) {
        return repository.apply(snapshot -> Plan.just(planner.apply(snapshot))).outcome();
    }
}
