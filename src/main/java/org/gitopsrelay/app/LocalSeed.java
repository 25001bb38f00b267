package org.gitopsrelay.app;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.GitOpsRemote;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.Plan;
import org.gitopsrelay.gitops.PlannedCommit;
import org.jboss.logging.Logger;

/** Seeds a new local GitOps repository with the demo app, so the service shows its job with nothing else set up. */
@ApplicationScoped
public class LocalSeed {

    private static final Logger LOG = Logger.getLogger(LocalSeed.class);

    private final GitOpsRemote remote;
    private final GitOpsRepository repository;

    @Inject
    public LocalSeed(GitOpsRemote remote, GitOpsRepository repository) {
        this.remote = remote;
        this.repository = repository;
    }

    /** Seeds only a repository the service owns and that has no commit yet; a remote is never touched. */
    public void seedIfEmpty() {
        if (!remote.isLocal()) {
            return;
        }
        CommitOutcome outcome = repository.apply(snapshot -> Plan.just(snapshot.commit().isPresent()
                ? Optional.empty()
                : Optional.of(new PlannedCommit(Onboarding.demo(),
                        "Seed the GitOps repository with the demo app\n\n"
                                + "Pushes to main of github.com/example/demo deploy staging; v* tags deploy production.",
                        List.of())))).outcome();
        if (outcome.changed()) {
            LOG.infof("Seeded %s with the demo app (commit %s)", remote.displayUrl(), outcome.commit());
        }
    }
}
