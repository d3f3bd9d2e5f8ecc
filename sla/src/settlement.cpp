#include "gpoc/sla/settlement.hpp"
