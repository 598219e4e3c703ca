#include "core/scheduling.hpp"

#include <sched.h>

namespace crm::core {

bool useBatchScheduling() {
    sched_param param{};
    param.sched_priority = 0;  // the only priority SCHED_BATCH has
    return sched_setscheduler(0, SCHED_BATCH, &param) == 0;
}

}  // namespace crm::core
