package org.gitopsrelay.app;

import java.util.List;

/** An app.yaml that cannot be used, with every problem found in it. */
public class InvalidAppException extends Exception {

    private final String path;
    private final List<String> problems;

    public InvalidAppException(String path, List<String> problems) {
        super(path + ": " + String.join("; ", problems));
        this.path = path;
        this.problems = List.copyOf(problems);
    }

    public String path() {
        return path;
    }

    public List<String> problems() {
        return problems;
    }
}
