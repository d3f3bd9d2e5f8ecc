#include "gpoc/sla/spec.hpp"
