package org.gitopsrelay.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.event.EnvironmentAction;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.kafka.EventPublisher;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.smallrye.common.annotation.Blocking;

/**
 * {@code POST /api/apps/{app}/promotions} and {@code POST /api/apps/{app}/environments/{env}/rollback}: an action is
 * checked, written to {@code relay.git-events} (keyed by app, so that it applies in order with the app's pushes) and
 * answered 202 with its event id; the handlers commit it, naming who asked, and publish the outcome on
 * {@code relay.deployments} with that id as {@code triggerEvent}. Needs the deploy role.
 */
@Path("/api/apps/{app}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
public class EnvironmentActionsResource {

    /** Docker's tag grammar. */
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

    public record PromotionRequest(String from, String to, Boolean override) {
    }

    public record RollbackRequest(String tag, Boolean override) {
    }

    public record RestartRequest(Boolean override) {
    }

    /** What was accepted: the event to look for on relay.deployments (as its triggerEvent). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Accepted(List<String> events, String app, String environment, String requestedBy) {
    }

    private final AppRegistry registry;
    private final GitOpsRepository repository;
    private final EventPublisher publisher;
    private final CurrentCaller caller;

    @Inject
    public EnvironmentActionsResource(AppRegistry registry, GitOpsRepository repository, EventPublisher publisher,
            CurrentCaller caller) {
        this.registry = registry;
        this.repository = repository;
        this.publisher = publisher;
        this.caller = caller;
    }

    @POST
    @Blocking
    @Path("/promotions")
    @Operation(summary = "Deploy the exact image one environment runs to another (202: queued; the outcome follows on"
            + " relay.deployments)")
    public Response promote(@PathParam("app") String name, @HeaderParam("Idempotency-Key") String key,
            PromotionRequest request) {
        if (request == null || blank(request.from()) || blank(request.to())) {
            throw problem(400, "A promotion names 'from' and 'to' environments");
        }
        AppSpec app = app(name);
        environment(app, request.from());
        environment(app, request.to());
        if (request.from().equals(request.to())) {
            throw problem(400, "A promotion goes from one environment to another, not to " + request.to() + " itself");
        }
        boolean override = unfrozen(app, request.to(), request.override());
        return accept(app, new EnvironmentAction.Promote(app.name(), request.from(), request.to(),
                runs(app, request.to()), override, caller.get().name()), key);
    }

    @POST
    @Blocking
    @Path("/environments/{env}/rollback")
    @Operation(summary = "Return an environment to the image it ran before (or to a tag of its history)")
    public Response rollback(@PathParam("app") String name, @PathParam("env") String env,
            @HeaderParam("Idempotency-Key") String key, RollbackRequest request) {
        AppSpec app = app(name);
        environment(app, env);
        String tag = request == null ? null : request.tag();
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw problem(400, "'tag' is not an image tag (letters, digits, '_', '.', '-'; at most 128)");
        }
        boolean override = unfrozen(app, env, request == null ? null : request.override());
        return accept(app, new EnvironmentAction.Rollback(app.name(), env, tag, runs(app, env), override,
                caller.get().name()), key);
    }

    @POST
    @Blocking
    @Path("/environments/{env}/restart")
    @Operation(summary = "Restart an environment's pods (a new restarted-at annotation on its Deployments)")
    public Response restart(@PathParam("app") String name, @PathParam("env") String env,
            @HeaderParam("Idempotency-Key") String key, RestartRequest request) {
        AppSpec app = app(name);
        environment(app, env);
        boolean override = unfrozen(app, env, request == null ? null : request.override());
        // Whole seconds: the annotation reads as a time to a person, and a retry of the same key writes the same.
        Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        return accept(app, new EnvironmentAction.Restart(app.name(), env, at, override, caller.get().name()), key);
    }

    private Response accept(AppSpec app, EnvironmentAction action, String key) {
        if (key != null && !IDEMPOTENCY_KEY.matcher(key).matches()) {
            throw problem(400, "The Idempotency-Key header is not a plain token");
        }
        // The same key again is the same event: the handlers' idempotence makes a client's retry do nothing twice.
        String id = key == null ? UUID.randomUUID().toString()
                : EventCodec.stableId("api", app.name(), action.type(), caller.get().name(), key, asked(action));
        RelayEvent event = RelayEvent.of(id, "/api", action.type(), app.name(), Instant.now(),
                EventCodec.toData(action));
        publisher.publish(Topics.GIT_EVENTS, event);
        return Response.accepted(new Accepted(List.of(id), app.name(), action.target(), action.requestedBy()))
                .build();
    }

    /** Whether the action overrides a freeze; a frozen environment without {@code "override": true} is a 409. */
    private static boolean unfrozen(AppSpec app, String env, Boolean override) {
        boolean overriding = Boolean.TRUE.equals(override);
        if (app.environment(env).orElseThrow().frozen() && !overriding) {
            throw problem(409, app.name() + " " + env + " is frozen (frozen: true in app.yaml): send"
                    + " \"override\": true to act on it anyway");
        }
        return overriding;
    }

    /**
     * What the caller asked for, without what the relay adds (the basis, the time): the same key with another request
     * is another action, while a retry of the same request stays the same one even after the first changed the basis.
     */
    private static String asked(EnvironmentAction action) {
        if (action instanceof EnvironmentAction.Promote promote) {
            return promote.from() + "\n" + promote.to();
        }
        if (action instanceof EnvironmentAction.Rollback rollback) {
            return rollback.environment() + "\n" + (rollback.tag() == null ? "" : rollback.tag());
        }
        return action.target();
    }

    /** The tag {@code env} runs now, as the remote holds it: the basis the action is checked against later. */
    private String runs(AppSpec app, String env) {
        String path = app.environment(env).orElseThrow().overlayDir(app.name()) + "/kustomization.yaml";
        try {
            return repository.fetch().read(path).map(KustomizationFile::parse)
                    .flatMap(overlay -> overlay.imageTag(app.imageName())).orElse(null);
        } catch (IllegalArgumentException e) {
            throw problem(409, path + " cannot be read (" + e.getMessage() + "): fix it first");
        }
    }

    private AppSpec app(String name) {
        return registry.app(name).orElseThrow(() -> problem(404, "No app named '" + name + "' is registered"));
    }

    private static void environment(AppSpec app, String env) {
        if (app.environment(env).isEmpty()) {
            throw problem(404, "App " + app.name() + " has no environment '" + env + "'");
        }
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static WebApplicationException problem(int status, String message) {
        return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("error", message)).build());
    }
}
