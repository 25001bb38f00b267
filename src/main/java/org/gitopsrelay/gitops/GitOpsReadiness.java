package org.gitopsrelay.gitops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.jgit.api.Git;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the GitOps remote answers: without it no event can be handled. Probed at most every 5 s. */
@Readiness
@ApplicationScoped
public class GitOpsReadiness implements HealthCheck {

    private static final long CACHE_MILLIS = 5000;

    private final GitOpsRemote remote;
    private volatile HealthCheckResponse last;
    private volatile long lastAt;

    @Inject
    public GitOpsReadiness(GitOpsRemote remote) {
        this.remote = remote;
    }

    @Override
    public HealthCheckResponse call() {
        long now = System.currentTimeMillis();
        HealthCheckResponse cached = last;
        if (cached != null && now - lastAt < CACHE_MILLIS) {
            return cached;
        }
        HealthCheckResponse response;
        try {
            remote.configure(Git.lsRemoteRepository().setRemote(remote.url()).setHeads(true)).call();
            response = HealthCheckResponse.named("gitops-remote").up().withData("url", remote.displayUrl()).build();
        } catch (Exception e) {
            response = HealthCheckResponse.named("gitops-remote").down().withData("url", remote.displayUrl())
                    .withData("error", String.valueOf(e.getMessage())).build();
        }
        last = response;
        lastAt = now;
        return response;
    }
}
