package dev.imagerouter.routing;

import dev.imagerouter.provider.leonardo.LeonardoProvider;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;

/** The money-safety rules of {@link LeonardoJobLifecycleContract} for the v1 adapter (Leonardo Phoenix). */
@MicronautTest
class LeonardoJobLifecycleTest extends LeonardoJobLifecycleContract {

    LeonardoJobLifecycleTest() {
        super("leonardo-phoenix");
    }

    @Override
    protected int activeJobs() {
        return ((LeonardoProvider) leonardo()).activeJobs();
    }
}
