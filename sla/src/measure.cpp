#include "gpoc/sla/measure.hpp"
