package org.gitopsrelay.webhook;

import org.gitopsrelay.event.GitChange;

/** A valid delivery as the provider-neutral change it stands for, or the reason it stands for none. */
public sealed interface Normalised permits Normalised.Change, Normalised.Ignored {

    record Change(GitChange change) implements Normalised {
    }

    record Ignored(String reason) implements Normalised {
    }
}
