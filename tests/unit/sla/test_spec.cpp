#include <gtest/gtest.h>

#include "gpoc/sla/spec.hpp"
