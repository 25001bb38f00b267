package org.gitopsrelay.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.preview.PreviewCatalog;

import io.smallrye.common.annotation.Blocking;

/** {@code GET /api/previews}: the live previews, as the GitOps repository holds them. */
@Path("/api/previews")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "relay.api.token (admin) or a named token of relay.api.tokens with the role the call needs")
public class PreviewsResource {

    /** A preview as the API shows it: the overlay's description plus its age. */
    public record LivePreview(String app, String slug, String url, Integer pullRequest, String branch, String author,
            String headCommit, String image, String namespace, Instant createdAt, Instant updatedAt, Instant expiresAt,
            long ageSeconds) {

        static LivePreview of(Preview preview, Instant now) {
            long age = preview.createdAt() == null ? 0 : Duration.between(preview.createdAt(), now).toSeconds();
            return new LivePreview(preview.app(), preview.slug(), preview.url(), preview.pullRequest(),
                    preview.branch(), preview.author(), preview.headCommit(), preview.image(), preview.namespace(),
                    preview.createdAt(), preview.updatedAt(), preview.expiresAt(), age);
        }
    }

    private final GitOpsRepository repository;
    private final AppRegistry registry;
    private final Clock clock;

    @Inject
    public PreviewsResource(GitOpsRepository repository, AppRegistry registry, Clock clock) {
        this.repository = repository;
        this.registry = registry;
        this.clock = clock;
    }

    @GET
    @Blocking
    @Operation(summary = "Live previews of every app")
    public List<LivePreview> all() {
        return sorted(PreviewCatalog.all(repository.fetch()));
    }

    @GET
    @Blocking
    @Path("/{app}")
    @Operation(summary = "Live previews of one app")
    public List<LivePreview> ofApp(@PathParam("app") String app) {
        if (registry.app(app).isEmpty()) {
            throw new NotFoundException(Response.status(404).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Map.of("error", "No app named '" + app + "' is registered")).build());
        }
        Snapshot snapshot = repository.fetch();
        return sorted(PreviewCatalog.of(snapshot, app));
    }

    private List<LivePreview> sorted(List<Preview> previews) {
        Instant now = clock.instant();
        return previews.stream().sorted(Comparator.comparing(Preview::app).thenComparing(Preview::slug))
                .map(preview -> LivePreview.of(preview, now)).toList();
    }
}
