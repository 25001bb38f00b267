package org.gitopsrelay.api;

import jakarta.enterprise.context.RequestScoped;

/** Who is calling the API in this request, as {@link ApiTokenFilter} found it. */
@RequestScoped
public class CurrentCaller {

    private ApiCaller caller;

    void set(ApiCaller caller) {
        this.caller = caller;
    }

    /** The caller; the filter refuses every /api call without one, so a resource always has it. */
    public ApiCaller get() {
        if (caller == null) {
            throw new IllegalStateException("No API caller in this request: the token filter did not run");
        }
        return caller;
    }
}
