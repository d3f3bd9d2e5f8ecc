#include <gtest/gtest.h>

#include "gpoc/sla/settlement.hpp"
