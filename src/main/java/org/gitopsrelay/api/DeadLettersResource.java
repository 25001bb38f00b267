package org.gitopsrelay.api;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.gitopsrelay.pipeline.DeadLetters;

import io.smallrye.common.annotation.Blocking;

/** {@code /api/dead-letters}: what failed after bounded retries, and its replay once the cause is fixed. */
@Path("/api/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "bearer")
public class DeadLettersResource {

    private final DeadLetters deadLetters;

    @Inject
    public DeadLettersResource(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    @GET
    @Blocking
    @Operation(summary = "Dead-lettered records not replayed yet, with the reason each failed")
    public List<DeadLetters.DeadLetter> pending() {
        return deadLetters.pending();
    }

    @POST
    @Path("/replay")
    @Blocking
    @Operation(summary = "Send every dead-lettered record not replayed yet back to the topic it failed on; records"
            + " naming another topic than the relay's are listed as refused and not sent")
    public Map<String, Object> replay() {
        DeadLetters.Replay replay = deadLetters.replay();
        return Map.of("replayed", replay.replayed().size(), "records", replay.replayed(), "refused", replay.refused());
    }
}
