package org.gitopsrelay.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.EnvironmentSpec;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.state.EnvironmentState;
import org.gitopsrelay.state.EnvironmentStates;

import io.smallrye.common.annotation.Blocking;

/**
 * {@code GET /api/apps} and {@code GET /api/apps/{app}/environments}: the registered apps, and what each environment
 * runs, read from the GitOps branch (its overlays and their commits' trailers). Needs the read role.
 */
@Path("/api/apps")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
public class AppsResource {

    /** Most deployments listed per environment. */
    static final int MAX_HISTORY = 100;

    /**
     * An app as registered: where its code is, its image, its environments; an app whose app.yaml cannot be used is
     * listed with its error and nothing else, so a team sees why its pushes do nothing.
     */
    public record App(String name, String source, String image, List<String> environments, boolean pullRequestPreviews,
            String branchPreviews, String database, String error) {
    }

    private final GitOpsRepository repository;
    private final AppRegistry registry;
    private final RelayConfig config;

    @Inject
    public AppsResource(GitOpsRepository repository, AppRegistry registry, RelayConfig config) {
        this.repository = repository;
        this.registry = registry;
        this.config = config;
    }

    @GET
    @Operation(summary = "The registered apps, and those whose app.yaml cannot be used (with the reason)")
    public List<App> apps() {
        List<App> apps = new ArrayList<>();
        for (AppSpec app : registry.apps().values()) {
            apps.add(new App(app.name(), app.source().toString(), app.image(),
                    app.environments().stream().map(EnvironmentSpec::name).toList(), app.previews().pullRequests(),
                    app.previews().branches().map(Object::toString).orElse(null),
                    app.database().map(database -> database.engine()).orElse(null), null));
        }
        registry.invalidApps().forEach((name, error) -> apps.add(new App(name, null, null, List.of(), false, null,
                null, error)));
        apps.sort(Comparator.comparing(App::name));
        return apps;
    }

    @GET
    @Blocking
    @Path("/{app}/environments")
    @Operation(summary = "What each environment of an app runs (image, source commit, GitOps commit, deploy time)"
            + " and its last deployments, newest first")
    public List<EnvironmentState> environments(@PathParam("app") String name,
            @QueryParam("history") @DefaultValue("10") int history) {
        if (history < 0 || history > MAX_HISTORY) {
            throw new BadRequestException(Response.status(400).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Map.of("error", "history must be between 0 and " + MAX_HISTORY)).build());
        }
        AppSpec app = registry.app(name).orElseThrow(() -> new NotFoundException(Response.status(404)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("error", "No app named '" + name + "' is registered")).build()));
        return EnvironmentStates.of(repository.fetch(), app, history, config.gitops().trailerSearchDepth());
    }
}
